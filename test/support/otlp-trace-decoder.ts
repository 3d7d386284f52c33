/**
 * Reads an OTLP/HTTP trace export as a collector would, whichever encoding it came in: JSON as it is, and
 * binary protobuf (`ExportTraceServiceRequest`, opentelemetry-proto's trace/v1 and common/v1 messages)
 * with a small decoder written from the .proto field numbers, independent of the exporter's own encoder,
 * into the same shape as the JSON encoding (ids in hex, times in nanoseconds as strings).
 */

export interface OtlpValue { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number }
export interface OtlpAttribute { key: string; value: OtlpValue }
export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string | number;
  endTimeUnixNano: string | number;
  attributes: OtlpAttribute[];
  status?: { code?: number; message?: string };
}
export interface OtlpRequest { resourceSpans: { resource: { attributes: OtlpAttribute[] }; scopeSpans: { spans: OtlpSpan[] }[] }[] }

export function decodeTraceExport(body: Buffer, contentType: string | undefined): OtlpRequest {
  if (contentType?.startsWith('application/json') === true) return JSON.parse(body.toString('utf8')) as OtlpRequest;
  if (contentType !== 'application/x-protobuf') throw new Error(`not an OTLP/HTTP content type: ${String(contentType)}`);
  return { resourceSpans: fields(body).filter((f) => f.no === 1).map((f) => resourceSpans(f.bytes!)) };
}

interface Field {
  no: number;
  /** Varints (and fixed64 read as an unsigned integer). */
  int?: bigint;
  bytes?: Buffer;
  double?: number;
}

/** Every field of one message, in order. */
function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let at = 0;
  const varint = (): bigint => {
    let value = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = buf[at++]!;
      value |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return value;
    }
  };
  while (at < buf.length) {
    const key = Number(varint());
    const no = key >>> 3;
    switch (key & 7) {
      case 0:
        out.push({ no, int: varint() });
        break;
      case 1:
        out.push({ no, int: buf.readBigUInt64LE(at), double: buf.readDoubleLE(at) });
        at += 8;
        break;
      case 2: {
        const length = Number(varint());
        out.push({ no, bytes: buf.subarray(at, at + length) });
        at += length;
        break;
      }
      case 5:
        out.push({ no, int: BigInt(buf.readUInt32LE(at)) });
        at += 4;
        break;
      default:
        throw new Error(`unsupported protobuf wire type ${key & 7}`);
    }
  }
  return out;
}

const text = (f: Field | undefined): string => f?.bytes?.toString('utf8') ?? '';

function resourceSpans(buf: Buffer): OtlpRequest['resourceSpans'][number] {
  const all = fields(buf);
  const resource = all.find((f) => f.no === 1);
  return {
    resource: { attributes: resource === undefined ? [] : fields(resource.bytes!).filter((f) => f.no === 1).map((f) => attribute(f.bytes!)) },
    scopeSpans: all.filter((f) => f.no === 2).map((f) => ({ spans: fields(f.bytes!).filter((g) => g.no === 2).map((g) => span(g.bytes!)) })),
  };
}

function attribute(buf: Buffer): OtlpAttribute {
  const all = fields(buf);
  const value: OtlpValue = {};
  const any = all.find((f) => f.no === 2);
  for (const f of any === undefined ? [] : fields(any.bytes!)) {
    if (f.no === 1) value.stringValue = text(f);
    else if (f.no === 2) value.boolValue = f.int === 1n;
    else if (f.no === 3) value.intValue = BigInt.asIntN(64, f.int!).toString();
    else if (f.no === 4) value.doubleValue = f.double!;
  }
  return { key: text(all.find((f) => f.no === 1)), value };
}

function span(buf: Buffer): OtlpSpan {
  const all = fields(buf);
  const one = (no: number): Field | undefined => all.find((f) => f.no === no);
  const out: OtlpSpan = {
    traceId: one(1)?.bytes?.toString('hex') ?? '',
    spanId: one(2)?.bytes?.toString('hex') ?? '',
    name: text(one(5)),
    kind: Number(one(6)?.int ?? 0n),
    startTimeUnixNano: (one(7)?.int ?? 0n).toString(),
    endTimeUnixNano: (one(8)?.int ?? 0n).toString(),
    attributes: all.filter((f) => f.no === 9).map((f) => attribute(f.bytes!)),
  };
  const parent = one(4)?.bytes;
  if (parent !== undefined && parent.length > 0) out.parentSpanId = parent.toString('hex');
  const status = one(15);
  if (status !== undefined) {
    const s = fields(status.bytes!);
    out.status = { code: Number(s.find((f) => f.no === 3)?.int ?? 0n), message: text(s.find((f) => f.no === 2)) };
  }
  return out;
}
