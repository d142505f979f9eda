'use strict';
// AMQP message handling for the stand-in: split a received message into its
// sections, keeping the bytes of properties, application-properties and body
// so that every value reaches the receiver with the type it was sent with,
// and build the messages the stand-in delivers.
const rhea = require('rhea');

const types = rhea.types;
const SECTION = {
    'amqp:header:list': 0x70, 'amqp:delivery-annotations:map': 0x71,
    'amqp:message-annotations:map': 0x72, 'amqp:properties:list': 0x73,
    'amqp:application-properties:map': 0x74, 'amqp:data:binary': 0x75,
    'amqp:amqp-sequence:list': 0x76, 'amqp:value:*': 0x77, 'amqp:footer:map': 0x78,
};

function sectionCode(s) {
    const d = s && s.descriptor;
    if (!d) return undefined;
    return typeof d.value === 'string' ? SECTION[d.value] : Number(d.value);
}

function field(list, i) {
    const v = list.value && list.value[i];
    return v && v.value !== null ? v.value : undefined;
}

// parse splits an encoded message. It returns {size, ttl, id, annotations
// (typed key/value items), annRaw, props, appRaw, body (raw sections), data
// (the contents of the data sections)}.
function parse(buf) {
    const m = {size: buf.length, annotations: [], body: [], data: []};
    const r = new types.Reader(buf);
    while (r.remaining()) {
        const start = r.position;
        const s = r.read();
        const raw = buf.subarray(start, r.position);
        switch (sectionCode(s)) {
        case 0x70: m.ttl = field(s, 2); break;
        case 0x72: m.annotations = s.value || []; m.annRaw = raw; break;
        case 0x73: m.props = raw; m.id = field(s, 0); break;
        case 0x74: m.appRaw = raw; m.app = s.value || []; break;
        case 0x75: m.data.push(s.value); m.body.push(raw); break;
        case 0x76: case 0x77: m.body.push(raw); break;
        default: break; // delivery annotations and footer are dropped
        }
    }
    return m;
}

// annotation returns the value of a message annotation of m.
function annotation(m, key) { return pair(m.annotations, key); }

// appProperty returns the value of an application property of m.
function appProperty(m, key) { return pair(m.app || [], key); }

// pair looks key up in a (typed key, typed value, ...) list.
function pair(a, key) {
    for (let i = 0; i + 1 < a.length; i += 2) {
        if (a[i].value === key) return a[i + 1].value;
    }
    return undefined;
}

// extendMap returns a map section with the descriptor code holding the
// entries of raw (a map section as received, or undefined) followed by pairs
// (typed keys and values), without decoding the existing entries.
function extendMap(code, raw, pairs) {
    let entries = Buffer.alloc(0);
    let count = 0;
    if (raw) {
        const r = new types.Reader(raw);
        const c = r.read_constructor();
        if (c.typecode === 0xc1 || c.typecode === 0xd1) {
            count = r.read_size_count(c.typecode === 0xc1 ? 1 : 4).count;
            entries = raw.subarray(r.position);
        }
    }
    const w = new types.Writer();
    for (const t of pairs) w.write(t);
    const extra = w.toBuffer();
    const head = Buffer.from([0x00, 0x53, code, 0xd1, 0, 0, 0, 0, 0, 0, 0, 0]);
    head.writeUInt32BE(4 + entries.length + extra.length, 4);
    head.writeUInt32BE(count + pairs.length, 8);
    return Buffer.concat([head, entries, extra]);
}

// tail is what follows header and annotations in a delivered message: the
// original properties, application-properties (plus appProps, string to
// string) and body.
function tail(m, appProps) {
    const parts = [];
    if (m.props) parts.push(m.props);
    const pairs = [];
    for (const [k, v] of Object.entries(appProps || {})) {
        if (typeof v === 'string') pairs.push(types.wrap_string(k), types.wrap_string(v));
    }
    if (pairs.length) parts.push(extendMap(0x74, m.appRaw, pairs));
    else if (m.appRaw) parts.push(m.appRaw);
    return Buffer.concat(parts.concat(m.body));
}

// encode builds a message from a fresh header (deliveryCount earlier failed
// deliveries), the original annotations plus annotations (typed pairs), and
// the prepared tail.
function encode(m, deliveryCount, annotations, rest) {
    const w = new types.Writer();
    w.write(rhea.message.header({delivery_count: deliveryCount, ttl: m.ttl}).described());
    return Buffer.concat([w.toBuffer(), extendMap(0x72, m.annRaw, annotations), rest]);
}

// swapGuid converts between a .NET GUID and its byte form (it undoes
// itself): the SDK reads a delivery tag as a GUID to get the lock token.
function swapGuid(b) {
    const o = Buffer.from(b);
    o[0] = b[3]; o[1] = b[2]; o[2] = b[1]; o[3] = b[0];
    o[4] = b[5]; o[5] = b[4]; o[6] = b[7]; o[7] = b[6];
    return o;
}

const sym = types.wrap_symbol;

module.exports = {parse, annotation, appProperty, tail, encode, swapGuid, sym};
