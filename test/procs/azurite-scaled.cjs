'use strict';
// Preloaded into Azurite (node -r) by procs.StartAzuriteScaled, for the
// bench's 100,000-step request only. It changes how fast Delete Blob is on
// a large store, not what it does.
//
// Azurite keeps blob metadata in LokiJS. A CPU profile of the 100,000-step
// row put almost all of Azurite's time in Delete Blob (one per step, the
// pending marker), and the row fell from 30 to 6 steps/s as blobs piled up:
//
// 1. Delete Blob calls Collection.findAndRemove, which goes through
//    LokiJS's batch removal; with adaptive binary indices that path
//    re-sorts every index of the blobs collection (4 of them) on every
//    call: O(n log n) per delete. Here a findAndRemove of exactly one
//    document uses LokiJS's own single-document Collection.remove, which
//    updates the same indices in place (O(n)), and one that matches
//    nothing returns at once. Several documents (a blob with its
//    snapshots) keep the batch path.
// 2. Its count and findAndRemove queries name the account first. LokiJS
//    uses a binary index for the first property of a query only, and every
//    blob has the same account: each call scans the collection. Here those
//    two calls put an equality on an indexed `name` first (an AND of
//    equalities is the same set in any order; neither call returns an
//    order), which is a binary search.
// 3. Its List Blobs matches the prefix with a regular expression
//    (^ and the escaped prefix), which LokiJS tests against every blob,
//    then sorts every match to cut one page: a results page of a large
//    request cost time in proportion to the whole store. Here such a
//    first filter becomes the index range [prefix, prefix's successor]
//    of name, put back in collection order, and the regular expression is
//    still applied to that range, so the matches are the same, in the
//    same order.
//
// test/procs TestAzuritePreloadRemovesCountsAndListsLikeLokiJS checks that the same
// documents are removed and counted and that the indices end the same.
const Loki = require('lokijs');

const proto = Loki.Collection.prototype;
const rsProto = Loki.Resultset.prototype;

// nameFirst returns query with its `name` equality first, when name is
// indexed and the query is a plain AND of several properties.
function nameFirst(coll, query) {
  if (!query || typeof query !== 'object' || !coll.binaryIndices.name ||
      !Object.prototype.hasOwnProperty.call(query, 'name')) {
    return query;
  }
  const v = query.name;
  if (v === null || typeof v === 'object') {
    return query;
  }
  const { name, ...rest } = query;
  return { name, ...rest };
}

const count = proto.count;
proto.count = function countNameFirst(query) {
  return count.call(this, nameFirst(this, query));
};

proto.findAndRemove = function findAndRemove(filterObject) {
  const rs = this.chain().find(nameFirst(this, filterObject));
  if (rs.filterInitialized && rs.filteredrows.length === 0) {
    return; // nothing matched: nothing to remove, no index to rebuild
  }
  if (rs.filteredrows.length === 1) {
    this.remove(this.data[rs.filteredrows[0]]);
    return;
  }
  rs.remove();
};

// literalPrefix returns the text that a pattern of the form ^ and an
// escaped literal (as Azurite's escapeRegex writes it) matches at the
// start, or null for any other pattern.
function literalPrefix(pattern) {
  if (typeof pattern !== 'string' || pattern[0] !== '^') {
    return null;
  }
  let out = '';
  for (let i = 1; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') {
      i++;
      if (i >= pattern.length || !'-/\\^$*+?.()|[]{}'.includes(pattern[i])) {
        return null;
      }
      out += pattern[i];
    } else if ('\\^$*+?.()|[]{}'.includes(ch)) {
      return null;
    } else {
      out += ch;
    }
  }
  return out;
}

const find = rsProto.find;
rsProto.find = function findPrefixByIndex(query, firstOnly) {
  const q = query && typeof query === 'object' ? query.name : undefined;
  if (this.filterInitialized || firstOnly || !this.collection.binaryIndices.name ||
      Object.keys(query || {}).length !== 1 || !q || typeof q !== 'object' ||
      Object.keys(q).length !== 1 || !(q.$regex instanceof RegExp || typeof q.$regex === 'string')) {
    return find.call(this, query, firstOnly);
  }
  const prefix = literalPrefix(typeof q.$regex === 'string' ? q.$regex : q.$regex.source);
  const last = prefix ? prefix.charCodeAt(prefix.length - 1) : 0xffff;
  if (prefix === null || q.$regex.flags || last === 0xffff) {
    return find.call(this, query, firstOnly);
  }
  const successor = prefix.slice(0, -1) + String.fromCharCode(last + 1);
  find.call(this, { name: { $between: [prefix, successor] } });
  // The range is in name order; the scan it replaces gives collection
  // order, which callers see where names tie (a blob's snapshots).
  this.filteredrows = Array.from(Int32Array.from(this.filteredrows).sort());
  return find.call(this, query);
};
