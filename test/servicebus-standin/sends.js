'use strict';
// Counts of the messages clients sent, per request and message id, for
// tests and benchmarks that ask how many messages were sent twice. A
// re-drive's id is "<id>.r<UTC time>" (amldsr's worker.RedriveID); it
// counts as a send of <id>.
const REDRIVE = /\.r\d{8}T\d{6}\.\d{9}Z$/;

class Sends {
    constructor() { this.byRequest = new Map(); } // requestId -> id -> {sends, redrives}

    // note counts one send of message id for requestId (the application
    // property; '' when absent).
    note(requestId, id) {
        if (id === undefined || id === null) return;
        const full = String(id), base = full.replace(REDRIVE, '');
        const key = requestId === undefined || requestId === null ? '' : String(requestId);
        if (!this.byRequest.has(key)) this.byRequest.set(key, new Map());
        const ids = this.byRequest.get(key);
        const c = ids.get(base) || {sends: 0, redrives: 0};
        c.sends++;
        if (base !== full) c.redrives++;
        ids.set(base, c);
    }

    // summary sums the requests named (all when none are): ids (distinct
    // message ids after stripping the re-drive suffix), sends, sentTwice
    // (ids sent more than once), sentTwiceRedriven (of those, the ids with
    // at least one re-drive) and up to 10 examples of ids sent more than once.
    summary(requests) {
        const out = {ids: 0, sends: 0, sentTwice: 0, sentTwiceRedriven: 0, examples: []};
        const keys = requests && requests.length ? requests : [...this.byRequest.keys()];
        for (const r of keys) {
            for (const [id, c] of this.byRequest.get(r) || []) {
                out.ids++;
                out.sends += c.sends;
                if (c.sends < 2) continue;
                out.sentTwice++;
                if (c.redrives) out.sentTwiceRedriven++;
                if (out.examples.length < 10) out.examples.push({requestId: r, id, sends: c.sends, redrives: c.redrives});
            }
        }
        return out;
    }
}

module.exports = {Sends, REDRIVE};
