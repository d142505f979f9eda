'use strict';
// A local AMQP 1.0 stand-in for Azure Service Bus queues, for tests of the
// unmodified Go SDK (azservicebus). See README.md for what it implements.
//
// Environment: SB_PORT (0 picks a free port), SB_LOCK_DURATION_MS (60000),
// SB_MAX_DELIVERY_COUNT (10), SB_MAX_MESSAGE_SIZE (262144), SB_DEBUG (1 logs
// frames and operations to stderr), SB_DUPLICATE_DETECTION_MS (0: off; else
// requiresDuplicateDetection with this history window: a message whose id was
// sent within the window is accepted and dropped, as Service Bus does),
// SB_ADMIN_PORT (unset: off; 0 picks a free port: an HTTP server on
// 127.0.0.1 answering GET /sends with the counts of sends.js).
const env = (name, def) => (process.env[name] === undefined || process.env[name] === '' ? def : Number(process.env[name]));
const cfg = {
    port: env('SB_PORT', 0),
    lockMs: env('SB_LOCK_DURATION_MS', 60000),
    maxDeliveryCount: env('SB_MAX_DELIVERY_COUNT', 10),
    maxMessageSize: env('SB_MAX_MESSAGE_SIZE', 262144),
    duplicateWindowMs: env('SB_DUPLICATE_DETECTION_MS', 0),
    debug: process.env.SB_DEBUG === '1',
    adminPort: env('SB_ADMIN_PORT', -1),
};
if (cfg.debug && !process.env.DEBUG) process.env.DEBUG = 'rhea:frames'; // read when rhea loads

const rhea = require('rhea');
const {Broker} = require('./broker.js');
const codec = require('./codec.js');

const types = rhea.types;
const BATCH_FORMAT = 0x80013700;
const log = cfg.debug ? (...a) => console.error(new Date().toISOString(), ...a) : () => {};
const broker = new Broker(cfg, log);
const replyLinks = new Map(); // target address of a peer's RPC reply receiver -> our sender

// rhea decodes format-0 messages and drops the bytes; keep them.
const decode = rhea.message.decode;
rhea.message.decode = (buf) => Object.assign(decode(buf), {raw: buf});

const isRPC = (address) => address === '$cbs' || /\/\$management$/i.test(address || '');

// echo fills in our side of a link the peer attached: its addresses and
// settle modes (go-amqp refuses a link without them or with other modes).
function echo(link) {
    const ra = link.remote.attach, la = link.local.attach;
    if (ra.snd_settle_mode !== undefined) la.snd_settle_mode = ra.snd_settle_mode;
    if (ra.rcv_settle_mode !== undefined) la.rcv_settle_mode = ra.rcv_settle_mode;
    link.set_source(ra.source && ra.source.address ? {address: ra.source.address} : {});
    link.set_target(ra.target && ra.target.address ? {address: ra.target.address} : {});
}

const container = rhea.create_container({id: 'servicebus-standin'});

container.on('receiver_open', (ctx) => { // the peer's sender: an entity, $cbs or $management
    const link = ctx.receiver;
    echo(link);
    link.address = link.remote.attach.target && link.remote.attach.target.address;
    if (!isRPC(link.address)) link.local.attach.max_message_size = cfg.maxMessageSize;
    log('attach sender', link.address);
});

container.on('sender_open', (ctx) => { // the peer's receiver: an entity or an RPC reply link
    const link = ctx.sender;
    echo(link);
    const ra = link.remote.attach;
    const source = ra.source && ra.source.address;
    if (isRPC(source)) {
        link.replyTo = ra.target && ra.target.address;
        replyLinks.set(link.replyTo, link);
        return;
    }
    link.queue = broker.queue(source);
    link.queue.consumers.add(link);
    log('attach receiver', source, link.local.attach.snd_settle_mode === 1 ? 'receive-and-delete' : 'peek-lock');
});

const onFlow = (ctx) => ctx.sender.queue && broker.dispatch(ctx.sender.queue);
container.on('sender_flow', onFlow);
container.on('sendable', onFlow);
container.on('sender_close', (ctx) => {
    const link = ctx.sender;
    if (link.queue) link.queue.consumers.delete(link);
    if (link.replyTo && replyLinks.get(link.replyTo) === link) replyLinks.delete(link.replyTo);
});

container.on('message', (ctx) => {
    const link = ctx.receiver, d = ctx.delivery;
    if (isRPC(link.address)) {
        d.accept();
        return rpc(link.address, ctx.message);
    }
    const raw = ctx.format ? ctx.message : ctx.message.raw;
    if (raw.length > cfg.maxMessageSize) {
        log('reject', link.address, raw.length, 'bytes');
        return d.reject({condition: 'amqp:link:message-size-exceeded',
            description: `message of ${raw.length} bytes exceeds ${cfg.maxMessageSize}`});
    }
    const m = codec.parse(raw);
    const q = broker.queue(link.address);
    for (const one of ctx.format === BATCH_FORMAT ? m.data.map(codec.parse) : [m]) broker.enqueue(q, one);
    d.accept();
    broker.dispatch(q);
});

// Outcomes of peek-lock deliveries. The peer's receiver settles second: it
// waits for our settled disposition, and sends nothing after it.
function settle(d, state) {
    d.update(true, state);
    d.remote_settled = true; // lets rhea free the delivery
}

const lockLost = () => rhea.message.rejected({error: {condition: 'com.microsoft:message-lock-lost',
    description: 'The lock supplied is invalid. Either the lock expired, or the message has already been removed from the queue.'}}).described();

function outcome(ctx, act) {
    const d = ctx.delivery;
    if (d.remote_settled || d.settled) return;
    const e = d.lockId && broker.holder(d.lockId);
    if (!e) return settle(d, act === 'release' ? undefined : lockLost());
    const s = d.remote_state || {};
    if (act === 'accepted') broker.complete(e);
    else if (act === 'release') broker.release(e, false);
    else if (act === 'modified' && s.undeliverable_here) broker.defer(e);
    else if (act === 'modified') broker.release(e, true);
    else if (act === 'rejected') {
        const err = s.error || {};
        const info = err.info || {};
        if (err.condition === 'com.microsoft:dead-letter') broker.deadLetter(e, info.DeadLetterReason, info.DeadLetterErrorDescription);
        else broker.release(e, true);
    }
    settle(d);
}
container.on('accepted', (ctx) => outcome(ctx, 'accepted'));
container.on('rejected', (ctx) => outcome(ctx, 'rejected'));
container.on('released', (ctx) => outcome(ctx, 'release'));
container.on('modified', (ctx) => outcome(ctx, 'modified'));

// $management operations: op -> (queue, request body) -> {code, desc, body}.
const hex = (b) => Buffer.from(b).toString('hex');
const LOST = {code: 410, desc: 'The lock supplied is invalid. Either the lock expired, or the message has already been removed from the queue.'};
const ops = {
    'com.microsoft:renew-lock': (q, b) => {
        const until = (b['lock-tokens'] || []).map((t) => broker.renew(hex(t)));
        return until.includes(null) ? LOST : {code: 200, body: {expirations: types.wrap_array(until, 0x83)}};
    },
    'com.microsoft:update-disposition': (q, b) => {
        const entries = (b['lock-tokens'] || []).map((t) => broker.holder(hex(t)));
        if (entries.includes(undefined)) return LOST;
        for (const e of entries) {
            switch (b['disposition-status']) {
            case 'completed': broker.complete(e); break;
            case 'abandoned': broker.release(e, true); break;
            case 'suspended': broker.deadLetter(e, b['deadletter-reason'], b['deadletter-description']); break;
            case 'defered': broker.defer(e); break;
            default: return {code: 400, desc: 'unknown disposition-status ' + b['disposition-status']};
            }
        }
        return {code: 200};
    },
    'com.microsoft:schedule-message': (q, b) => {
        const seqs = (b.messages || []).map((x) => broker.enqueue(q, codec.parse(x.message)));
        return {code: 200, body: {'sequence-numbers': types.wrap_array(seqs, 0x81)}};
    },
    'com.microsoft:cancel-scheduled-message': (q, b) => {
        for (const seq of b['sequence-numbers'] || []) broker.cancel(q, Number(seq));
        return {code: 200};
    },
    'com.microsoft:peek-message': (q, b) => {
        const msgs = broker.peek(q, Number(b['from-sequence-number'] || 0), b['message-count'] || 1);
        // an empty map decodes as map[any]any, which the SDK rejects: 204 instead
        return msgs.length ? {code: 200, body: {messages: msgs.map((m) => ({message: m}))}} : {code: 204};
    },
};
const mgmt = (op, q, body) => (ops[op] ? ops[op](q, body) : {code: 501, desc: `operation ${op} is not implemented by the stand-in`});

// rpc answers a request on $cbs (any token is accepted) or <entity>/$management.
function rpc(address, req) {
    const op = (req.application_properties || {}).operation;
    let res;
    try {
        res = address === '$cbs' ? {code: 202} : mgmt(op, broker.queue(address.replace(/\/\$management$/i, '')), req.body || {});
    } catch (err) {
        res = {code: 500, desc: String(err && err.stack || err)};
    }
    log('rpc', address, op, res.code, res.desc || '');
    const link = replyLinks.get(req.reply_to);
    if (!link || !link.is_open()) return log('no reply link for', req.reply_to);
    link.send({
        correlation_id: req.message_id,
        application_properties: {statusCode: types.wrap_int(res.code), statusDescription: res.desc || ''},
        body: res.body,
    });
}

container.on('disconnected', (ctx) => log('disconnected', ctx.error ? String(ctx.error) : ''));
container.on('error', (err) => log('error', String(err)));

const server = container.listen({
    host: '127.0.0.1', port: cfg.port, noDelay: true, tcp_no_delay: true,
    session_buffer_size: 20000,
    sender_options: {treat_modified_as_released: false},
    receiver_options: {autoaccept: false},
});
server.on('listening', () => console.log(`servicebus-standin listening on 127.0.0.1:${server.address().port}`));
server.on('error', (err) => { console.error('servicebus-standin:', err.message); process.exit(1); });
if (cfg.adminPort >= 0) admin(cfg.adminPort);

// admin serves GET /sends[?requestId=ID...]: the counts of sends (see
// sends.js) of the requests named, or of all.
function admin(port) {
    const srv = require('http').createServer((req, res) => {
        const u = new URL(req.url, 'http://127.0.0.1');
        if (req.method !== 'GET' || u.pathname !== '/sends') {
            res.writeHead(404).end();
            return;
        }
        res.writeHead(200, {'Content-Type': 'application/json'});
        res.end(JSON.stringify(broker.sends.summary(u.searchParams.getAll('requestId'))));
    });
    srv.listen(port, '127.0.0.1', () => console.log(`servicebus-standin admin on 127.0.0.1:${srv.address().port}`));
}
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
