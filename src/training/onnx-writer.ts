/**
 * A minimal ONNX model writer: the subset of `onnx.proto` needed to describe a graph of standard operators (IR 8,
 * opset 17) as a protobufjs JSON descriptor, plus a small builder (inputs, initializers, nodes, outputs) whose
 * `toBytes()` result `onnxruntime-node` loads directly with `InferenceSession.create(bytes)`.
 *
 * Field numbers follow onnx/onnx.proto (proto2). Tensors are written as little-endian `raw_data`.
 */
import ort from 'onnxruntime-node';
import protobuf from 'protobufjs';

const ONNX_DESCRIPTOR = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            irVersion: { type: 'int64', id: 1 },
            opsetImport: { rule: 'repeated', type: 'OperatorSetIdProto', id: 8 },
            producerName: { type: 'string', id: 2 },
            producerVersion: { type: 'string', id: 3 },
            domain: { type: 'string', id: 4 },
            modelVersion: { type: 'int64', id: 5 },
            docString: { type: 'string', id: 6 },
            graph: { type: 'GraphProto', id: 7 },
          },
        },
        OperatorSetIdProto: { fields: { domain: { type: 'string', id: 1 }, version: { type: 'int64', id: 2 } } },
        GraphProto: {
          fields: {
            node: { rule: 'repeated', type: 'NodeProto', id: 1 },
            name: { type: 'string', id: 2 },
            initializer: { rule: 'repeated', type: 'TensorProto', id: 5 },
            docString: { type: 'string', id: 10 },
            input: { rule: 'repeated', type: 'ValueInfoProto', id: 11 },
            output: { rule: 'repeated', type: 'ValueInfoProto', id: 12 },
            valueInfo: { rule: 'repeated', type: 'ValueInfoProto', id: 13 },
          },
        },
        NodeProto: {
          fields: {
            input: { rule: 'repeated', type: 'string', id: 1 },
            output: { rule: 'repeated', type: 'string', id: 2 },
            name: { type: 'string', id: 3 },
            opType: { type: 'string', id: 4 },
            attribute: { rule: 'repeated', type: 'AttributeProto', id: 5 },
            docString: { type: 'string', id: 6 },
            domain: { type: 'string', id: 7 },
          },
        },
        AttributeProto: {
          fields: {
            name: { type: 'string', id: 1 },
            f: { type: 'float', id: 2 },
            i: { type: 'int64', id: 3 },
            s: { type: 'bytes', id: 4 },
            t: { type: 'TensorProto', id: 5 },
            floats: { rule: 'repeated', type: 'float', id: 7 },
            ints: { rule: 'repeated', type: 'int64', id: 8 },
            type: { type: 'int32', id: 20 },
          },
        },
        TensorProto: {
          fields: {
            dims: { rule: 'repeated', type: 'int64', id: 1 },
            dataType: { type: 'int32', id: 2 },
            name: { type: 'string', id: 8 },
            rawData: { type: 'bytes', id: 9 },
          },
        },
        ValueInfoProto: {
          fields: { name: { type: 'string', id: 1 }, type: { type: 'TypeProto', id: 2 }, docString: { type: 'string', id: 3 } },
        },
        TypeProto: {
          fields: { tensorType: { type: 'Tensor', id: 1 } },
          nested: {
            Tensor: { fields: { elemType: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } } },
          },
        },
        TensorShapeProto: {
          fields: { dim: { rule: 'repeated', type: 'Dimension', id: 1 } },
          nested: {
            Dimension: {
              oneofs: { value: { oneof: ['dimValue', 'dimParam'] } },
              fields: { dimValue: { type: 'int64', id: 1 }, dimParam: { type: 'string', id: 2 } },
            },
          },
        },
      },
    },
  },
};

const ModelProto = protobuf.Root.fromJSON(ONNX_DESCRIPTOR).lookupType('onnx.ModelProto');

/** ONNX element types used here (TensorProto.DataType). */
export type ElemType = 'float' | 'double' | 'int64' | 'bool';
const DATA_TYPE: Record<ElemType, number> = { float: 1, int64: 7, bool: 9, double: 11 };

/** A dimension: a fixed size, or a symbolic name (e.g. `'batch'`) for a dynamic one. */
export type Dim = number | string;

/** A typed attribute value (ONNX distinguishes INT from FLOAT, so plain numbers are not enough). */
export type AttrValue =
  | { kind: 'float'; value: number }
  | { kind: 'int'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'floats'; value: readonly number[] }
  | { kind: 'tensor'; elem: ElemType; dims: readonly number[]; data: ArrayLike<number> };

/** Attribute constructors: `attr.f(0.5)`, `attr.i(1)`, `attr.s('add')`, `attr.ints([1])`. */
export const attr = {
  f: (value: number): AttrValue => ({ kind: 'float', value }),
  i: (value: number): AttrValue => ({ kind: 'int', value }),
  s: (value: string): AttrValue => ({ kind: 'string', value }),
  ints: (value: readonly number[]): AttrValue => ({ kind: 'ints', value }),
  floats: (value: readonly number[]): AttrValue => ({ kind: 'floats', value }),
};

function tensorBytes(elem: ElemType, data: ArrayLike<number>): Uint8Array {
  let arr: Float32Array | Float64Array | BigInt64Array | Uint8Array;
  if (elem === 'float') arr = Float32Array.from(data);
  else if (elem === 'double') arr = Float64Array.from(data);
  else if (elem === 'int64') arr = BigInt64Array.from(Array.from(data, (v) => BigInt(v)));
  else arr = Uint8Array.from(data, (v) => (v ? 1 : 0));
  return new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
}

function tensorProto(name: string, elem: ElemType, dims: readonly number[], data: ArrayLike<number>): object {
  return { name, dims: [...dims], dataType: DATA_TYPE[elem], rawData: tensorBytes(elem, data) };
}

function attributeProto(name: string, a: AttrValue): object {
  switch (a.kind) {
    case 'float':
      return { name, type: 1, f: a.value };
    case 'int':
      return { name, type: 2, i: a.value };
    case 'string':
      return { name, type: 3, s: new TextEncoder().encode(a.value) };
    case 'tensor':
      return { name, type: 4, t: tensorProto('', a.elem, a.dims, a.data) };
    case 'floats':
      return { name, type: 6, floats: [...a.value] };
    case 'ints':
      return { name, type: 7, ints: [...a.value] };
  }
}

function valueInfo(name: string, elem: ElemType, dims: readonly Dim[]): object {
  const dim = dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType: DATA_TYPE[elem], shape: { dim } } } };
}

/**
 * Builds one ONNX graph. Names are global within the graph; `op()` invents fresh names for intermediate values.
 * Usage: `const g = new GraphBuilder('mlp'); g.input('x', 'float', ['n', 4]); const y = g.op('Relu', ['x']);
 * g.output(y, 'float', ['n', 4]); const bytes = g.toBytes();`
 */
export class GraphBuilder {
  private readonly nodes: object[] = [];
  private readonly inputs: object[] = [];
  private readonly outputs: object[] = [];
  private readonly initializers: object[] = [];
  private counter = 0;

  constructor(readonly name: string) {}

  /** Declares a graph input fed at run time. Returns its name. */
  input(name: string, elem: ElemType, dims: readonly Dim[]): string {
    this.inputs.push(valueInfo(name, elem, dims));
    return name;
  }

  /** Declares a graph output (a value some node produces). */
  output(name: string, elem: ElemType, dims: readonly Dim[]): void {
    this.outputs.push(valueInfo(name, elem, dims));
  }

  /** Adds a constant tensor stored in the model. Returns its name (fresh if not given). */
  constant(elem: ElemType, dims: readonly number[], data: ArrayLike<number>, name = this.fresh('const')): string {
    this.initializers.push(tensorProto(name, elem, dims, data));
    return name;
  }

  /** Adds a node with explicit output names. */
  node(opType: string, inputs: readonly string[], outputs: readonly string[], attrs: Record<string, AttrValue> = {}): void {
    const attribute = Object.entries(attrs).map(([k, v]) => attributeProto(k, v));
    this.nodes.push({ opType, input: [...inputs], output: [...outputs], name: `${opType}_${this.nodes.length}`, attribute });
  }

  /** Adds a single-output node and returns the output's name (`outName` or a fresh one). */
  op(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, outName?: string): string {
    const out = outName ?? this.fresh(opType.toLowerCase());
    this.node(opType, inputs, [out], attrs);
    return out;
  }

  /** Serialises the graph as an ONNX ModelProto (IR 8, default domain opset 17). */
  toBytes(): Uint8Array {
    const model = {
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }],
      producerName: 'feedloop',
      producerVersion: '1',
      graph: { name: this.name, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
    };
    const err = ModelProto.verify(model);
    if (err) throw new Error(`invalid ONNX model: ${err}`);
    return ModelProto.encode(ModelProto.fromObject(model)).finish();
  }

  private fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }
}

/** Creates an onnxruntime session for graph bytes with a fixed thread count (results are deterministic). */
export function createSession(bytes: Uint8Array, threads = 2): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
}
