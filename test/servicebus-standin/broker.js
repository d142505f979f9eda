'use strict';
// Queues, peek-locks, delivery counts, the dead-letter queue and scheduled
// messages of the stand-in. Queues are created on first use; "<q>" and
// "<q>/$DeadLetterQueue" are matched case-insensitively.
const crypto = require('crypto');
const rhea = require('rhea');
const codec = require('./codec.js');
const {Sends} = require('./sends.js');

const types = rhea.types;
const DLQ = '/$deadletterqueue';

// Ready holds the deliverable entries of a queue in sequence order.
class Ready {
    constructor() { this.items = []; this.head = 0; }
    get length() { return this.items.length - this.head; }
    shift() {
        const e = this.items[this.head++];
        if (this.head > 1024 && this.head * 2 > this.items.length) {
            this.items = this.items.slice(this.head);
            this.head = 0;
        }
        return e;
    }
    insert(e) {
        const a = this.items;
        if (!this.length || a[a.length - 1].seq < e.seq) return void a.push(e);
        let lo = this.head, hi = a.length;
        while (lo < hi) {
            const mid = (lo + hi) >> 1;
            if (a[mid].seq < e.seq) lo = mid + 1; else hi = mid;
        }
        a.splice(lo, 0, e);
    }
}

class Queue {
    constructor(name) {
        this.name = name;
        this.isDLQ = name.toLowerCase().endsWith(DLQ);
        this.ready = new Ready();
        this.all = new Map(); // seq -> entry: ready, locked, scheduled, deferred
        this.consumers = new Set(); // rhea sender links of peer receivers
    }
}

// free is how many more messages link may be sent now. rhea lowers
// link.credit only when a transfer is written, so count our own sends.
function free(link) {
    const credit = link.delivery_count + link.credit - (link.sent || 0);
    return Math.min(credit, link.session.outgoing.available());
}

class Broker {
    constructor(cfg, log) {
        this.cfg = cfg;
        this.log = log;
        this.queues = new Map();
        this.locks = new Map(); // lock token (hex) -> entry
        this.seq = 0;
        this.sends = new Sends(); // every message clients sent, dropped duplicates included
    }

    queue(address) {
        const key = address.toLowerCase();
        if (!this.queues.has(key)) this.queues.set(key, new Queue(address));
        return this.queues.get(key);
    }

    // enqueue adds a parsed message to q and returns its sequence number.
    // A future x-opt-scheduled-enqueue-time holds it until then.
    enqueue(q, m) {
        this.sends.note(codec.appProperty(m, 'requestId'), m.id);
        if (this.duplicate(q, m)) {
            this.log('duplicate dropped', q.name, m.id);
            return q.seen.get(String(m.id)).seq;
        }
        const e = {seq: ++this.seq, q, m, rest: codec.tail(m), failed: 0, enqueuedAt: new Date(), lock: null, state: 'active'};
        q.all.set(e.seq, e);
        const at = codec.annotation(m, 'x-opt-scheduled-enqueue-time');
        if (at instanceof Date && at.getTime() > Date.now()) {
            e.state = 'scheduled';
            e.timer = setTimeout(() => this.activate(e), at.getTime() - Date.now());
        } else {
            q.ready.insert(e);
        }
        this.log('enqueue', q.name, e.seq, m.id, e.state);
        return e.seq;
    }

    // duplicate reports whether duplicate detection drops m: its message id
    // was sent to q within the window. Otherwise the id is remembered.
    duplicate(q, m) {
        const win = this.cfg.duplicateWindowMs;
        if (!win || m.id === undefined || m.id === null) return false;
        const id = String(m.id), now = Date.now();
        if (!q.seen) q.seen = new Map();
        const prev = q.seen.get(id);
        if (prev && now - prev.at < win) return true;
        q.seen.set(id, {at: now, seq: this.seq + 1});
        return false;
    }

    activate(e) {
        e.state = 'active';
        e.enqueuedAt = new Date();
        e.q.ready.insert(e);
        this.dispatch(e.q);
    }

    // cancel drops a scheduled message.
    cancel(q, seq) {
        const e = q.all.get(seq);
        if (!e || e.state !== 'scheduled') return;
        clearTimeout(e.timer);
        q.all.delete(seq);
    }

    // dispatch sends ready messages to the consumers of q that have credit,
    // one each in turn.
    dispatch(q) {
        for (let progress = true; progress && q.ready.length;) {
            progress = false;
            for (const link of q.consumers) {
                if (!q.ready.length) break;
                if (!link.is_open()) q.consumers.delete(link);
                else if (free(link) > 0) {
                    this.deliver(q.ready.shift(), link);
                    progress = true;
                }
            }
        }
    }

    deliver(e, link) {
        const token = crypto.randomBytes(16);
        const ann = this.annotations(e);
        if (link.local.attach.snd_settle_mode === 1) {
            e.q.all.delete(e.seq); // receive-and-delete
        } else {
            const id = token.toString('hex');
            e.lock = {id, until: new Date(Date.now() + this.cfg.lockMs)};
            e.lock.timer = setTimeout(() => this.expire(e, id), this.cfg.lockMs);
            this.locks.set(id, e);
            ann.push(codec.sym('x-opt-locked-until'), types.wrap_timestamp(e.lock.until));
        }
        const d = link.send(codec.encode(e.m, e.failed, ann, e.rest), codec.swapGuid(token), 0);
        link.sent = (link.sent || 0) + 1;
        d.lockId = e.lock && e.lock.id;
        this.log('deliver', e.q.name, e.seq, e.m.id, 'count', e.failed + 1);
    }

    // annotations are the broker's message annotations of e (typed pairs).
    annotations(e) {
        const a = [codec.sym('x-opt-sequence-number'), types.wrap_long(e.seq),
            codec.sym('x-opt-enqueued-time'), types.wrap_timestamp(e.enqueuedAt)];
        if (e.source) a.push(codec.sym('x-opt-deadletter-source'), types.wrap_string(e.source));
        const state = {deferred: 1, scheduled: 2}[e.state];
        if (state) a.push(codec.sym('x-opt-message-state'), types.wrap_int(state));
        return a;
    }

    // holder returns the entry whose current lock is id, if any.
    holder(id) { return this.locks.get(id); }

    unlock(e) {
        if (!e.lock) return;
        clearTimeout(e.lock.timer);
        this.locks.delete(e.lock.id);
        e.lock = null;
    }

    renew(id) {
        const e = this.locks.get(id);
        if (!e) return null;
        clearTimeout(e.lock.timer);
        e.lock.until = new Date(Date.now() + this.cfg.lockMs);
        e.lock.timer = setTimeout(() => this.expire(e, id), this.cfg.lockMs);
        return e.lock.until;
    }

    complete(e) {
        this.unlock(e);
        e.q.all.delete(e.seq);
        this.log('complete', e.q.name, e.seq, e.m.id);
    }

    // release returns e to its queue; failed counts a failed delivery.
    release(e, failed) {
        this.unlock(e);
        if (failed) e.failed++;
        this.log(failed ? 'abandon' : 'release', e.q.name, e.seq, e.m.id, 'count', e.failed);
        if (!e.q.isDLQ && e.failed >= this.cfg.maxDeliveryCount) {
            return this.move(e, 'MaxDeliveryCountExceeded',
                `Message could not be consumed after ${this.cfg.maxDeliveryCount} delivery attempts.`);
        }
        e.q.ready.insert(e);
        this.dispatch(e.q);
    }

    expire(e, id) {
        if (e.lock && e.lock.id === id) {
            this.log('lock expired', e.q.name, e.seq, e.m.id);
            this.release(e, true);
        }
    }

    defer(e) {
        this.unlock(e);
        e.state = 'deferred';
    }

    // deadLetter moves e to the dead-letter queue of its queue; dead-lettering
    // a message of a dead-letter queue leaves it there.
    deadLetter(e, reason, description) {
        this.unlock(e);
        if (e.q.isDLQ) return this.release(e, false);
        this.move(e, reason, description);
    }

    move(e, reason, description) {
        const from = e.q;
        from.all.delete(e.seq);
        e.q = this.queue(from.name + '/$DeadLetterQueue');
        e.source = from.name;
        e.failed = 0;
        e.rest = codec.tail(e.m, {DeadLetterReason: reason, DeadLetterErrorDescription: description});
        e.q.all.set(e.seq, e);
        e.q.ready.insert(e);
        this.log('dead-letter', from.name, e.seq, e.m.id, reason);
        this.dispatch(e.q);
    }

    // peek returns up to count encoded messages of q from sequence number from.
    peek(q, from, count) {
        const out = [...q.all.values()].filter((e) => e.seq >= from).sort((a, b) => a.seq - b.seq);
        return out.slice(0, count).map((e) => codec.encode(e.m, e.failed, this.annotations(e), e.rest));
    }
}

module.exports = {Broker};
