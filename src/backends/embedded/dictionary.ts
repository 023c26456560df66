/** A string↔code dictionary for low-cardinality attributes (categories, countries, languages, age buckets). */
export class Dictionary {
  readonly values: string[] = [];
  private readonly index = new Map<string, number>();
  code(value: string): number {
    let c = this.index.get(value);
    if (c === undefined) {
      c = this.values.length;
      this.values.push(value);
      this.index.set(value, c);
    }
    return c;
  }
  lookup(value: string): number {
    return this.index.get(value) ?? -1;
  }
  value(code: number): string | undefined {
    return code >= 0 ? this.values[code] : undefined;
  }
  restore(values: readonly string[]): void {
    this.values.length = 0;
    this.index.clear();
    for (const v of values) this.code(v);
  }
}
