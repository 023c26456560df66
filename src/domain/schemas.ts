/**
 * Wire schemas for items, users and events: the one definition used for validation at the edge (HTTP, import),
 * for the TypeScript types, and for the OpenAPI document. Ids are opaque strings (1–128 chars); times are integer
 * milliseconds since the Unix epoch.
 */
import { Type, type Static, type TProperties } from '@sinclair/typebox';

const Id = (description: string) => Type.String({ minLength: 1, maxLength: 128, description });
const TimeMs = (description: string) => Type.Integer({ minimum: 0, maximum: 8_640_000_000_000_000, description });

export const ItemSchema = Type.Object(
  {
    id: Id('Item id.'),
    author_id: Id('Author (creator) id.'),
    created_at: TimeMs('Upload time, ms since epoch.'),
    duration_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400_000, description: 'Video length in ms.' })),
    category: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 32 })),
    text: Type.Optional(Type.String({ maxLength: 4096, description: 'Title/caption, for content features.' })),
  },
  { additionalProperties: false },
);
export type Item = Static<typeof ItemSchema>;

export const UserSchema = Type.Object(
  {
    id: Id('User id.'),
    country: Type.Optional(Type.String({ minLength: 2, maxLength: 8, description: 'ISO 3166 code.' })),
    language: Type.Optional(Type.String({ minLength: 2, maxLength: 16, description: 'BCP 47 tag.' })),
    age_bucket: Type.Optional(Type.String({ minLength: 1, maxLength: 16, description: 'e.g. 18-24.' })),
    created_at: Type.Optional(TimeMs('Sign-up time.')),
  },
  { additionalProperties: false },
);
export type User = Static<typeof UserSchema>;

/** Every event type; the order is stable (it is the numeric code in storage). */
export const EVENT_TYPES = [
  'impression',
  'view',
  'complete',
  'like',
  'share',
  'comment',
  'follow',
  'skip',
  'hide',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

const common = {
  id: Id('Client-generated idempotency key: an event with an id already seen is counted once.'),
  user_id: Id('Acting user.'),
  ts: Type.Optional(TimeMs('Event time; server time when absent. At most `ingest.maxFutureSkewMs` ahead.')),
  session_id: Type.Optional(Id('Client session, for session features.')),
};
const itemRef = { item_id: Id('Item acted on.') };

const ev = <T extends string, P extends TProperties>(type: T, props: P) =>
  Type.Object({ type: Type.Literal(type), ...common, ...props }, { additionalProperties: false });

export const EventSchemas = {
  impression: ev('impression', {
    ...itemRef,
    request_id: Id('Feed request that served the item.'),
    position: Type.Integer({ minimum: 0, maximum: 10_000, description: 'Slot in the slate, 0-based.' }),
  }),
  view: ev('view', { ...itemRef, watch_ms: Type.Integer({ minimum: 0, maximum: 86_400_000 }) }),
  complete: ev('complete', { ...itemRef }),
  like: ev('like', { ...itemRef }),
  share: ev('share', { ...itemRef }),
  comment: ev('comment', { ...itemRef, text: Type.Optional(Type.String({ maxLength: 4096 })) }),
  follow: ev('follow', {
    author_id: Id('Author followed.'),
    item_id: Type.Optional(Id('Item the follow came from.')),
  }),
  skip: ev('skip', { ...itemRef, watch_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400_000 })) }),
  hide: ev('hide', {
    ...itemRef,
    scope: Type.Optional(
      Type.Union([Type.Literal('item'), Type.Literal('author')], { description: "'author' hides all of its author's items." }),
    ),
  }),
} as const;

export const EventSchema = Type.Union(Object.values(EventSchemas));
/** An event as accepted on the wire (`ts` optional). */
export type WireEvent = Static<typeof EventSchema>;
/** An event after ingest: `ts` filled in. This is what the log stores and features consume. */
export type StoredEvent = WireEvent & { ts: number };

export const EventBatchSchema = Type.Object(
  { events: Type.Array(Type.Unknown(), { maxItems: 1000 }) },
  { additionalProperties: false },
);
export const ItemBatchSchema = Type.Object({ items: Type.Array(Type.Unknown(), { maxItems: 1000 }) }, { additionalProperties: false });
export const UserBatchSchema = Type.Object({ users: Type.Array(Type.Unknown(), { maxItems: 1000 }) }, { additionalProperties: false });
