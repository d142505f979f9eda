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
//    then sorts every match by name to cut each page: a results page of a
//    large request cost time in proportion to the whole store, and
//    listing a request of 110,000 records (213,000 blobs) took minutes.
//    Here such a first filter becomes the index range [prefix, prefix's
//    successor] of name, in name order with ties in collection order, and
//    the regular expression is still applied to that range, so the sort
//    that follows finds them in order. The pages are the same.
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

// rangeable reports whether a literal prefix can be read as an index
// range: LokiJS orders numeric strings ("12", "1e5", " 3", "Infinity")
// as numbers and before every other string, so a range is in string
// order only where no name can be numeric, which a prefix starting with a
// letter other than I (or _) guarantees for every name it matches.
function rangeable(prefix) {
  return /^[A-HJ-Za-z_]/.test(prefix);
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
  if (prefix === null || q.$regex.flags || !rangeable(prefix) || prefix.charCodeAt(prefix.length - 1) === 0xffff) {
    return find.call(this, query, firstOnly);
  }
  const last = prefix.charCodeAt(prefix.length - 1);
  const successor = prefix.slice(0, -1) + String.fromCharCode(last + 1);
  find.call(this, { name: { $between: [prefix, successor] } });
  tiesInCollectionOrder(this.filteredrows, this.collection.data);
  return find.call(this, query);
};

// tiesInCollectionOrder puts each run of equal names (a blob's snapshots)
// of rows, which are in name order, in collection order: rows are then
// what a stable sort by name of the scan's rows (collection order) gives.
// List Blobs sorts them by name next, which on rows already in order is
// one pass (V8's sort finds the run).
function tiesInCollectionOrder(rows, data) {
  for (let i = 0; i < rows.length;) {
    let j = i + 1;
    while (j < rows.length && data[rows[j]].name === data[rows[i]].name) {
      j++;
    }
    if (j - i > 1) {
      const run = rows.slice(i, j).sort((a, b) => a - b);
      for (let k = i; k < j; k++) {
        rows[k] = run[k - i];
      }
    }
    i = j;
  }
}

// 4. Even so, each page of List Blobs filtered and sorted every blob of
//    its prefix: a page of a 110,000-record request's results cost about
//    400 ms, whatever its size, and reading them all took an hour. Here
//    a listing of one account and container by a rangeable prefix,
//    without snapshots, walks the index of name from the prefix and the
//    marker, in name order (which the rangeable prefix makes string
//    order, as List Blobs sorts), and stops when the page is full; the
//    same filters, the same pages, the same documents handed on.
const azurite = (p) => require('azurite/dist/src/blob/' + p).default;
const Store = azurite('persistence/LokiBlobMetadataStore');
const PageWithDelimiter = azurite('persistence/PageWithDelimiter');
const LeaseFactory = azurite('lease/LeaseFactory');
const BlobLeaseAdapter = azurite('lease/BlobLeaseAdapter');
const BlobLeaseSyncer = azurite('lease/BlobLeaseSyncer');
const { DEFAULT_LIST_BLOBS_MAX_RESULTS } = require('azurite/dist/src/blob/utils/constants');

const listBlobs = Store.prototype.listBlobs;
Store.prototype.listBlobs = async function listBlobsByIndex(context, account, container, delimiter, blob, prefix = '',
  maxResults = DEFAULT_LIST_BLOBS_MAX_RESULTS, marker = '', includeSnapshots, includeUncommittedBlobs, startFrom) {
  const coll = this.db.getCollection(this.BLOBS_COLLECTION);
  if (blob !== undefined || includeSnapshots || account === undefined || container === undefined ||
      !rangeable(prefix) || !coll.binaryIndices.name) {
    return listBlobs.apply(this, arguments);
  }
  coll.ensureIndex('name'); // a no-op unless the index is dirty
  const index = coll.binaryIndices.name.values;
  const data = coll.data;
  let from = prefix;
  for (const bound of [marker, startFrom]) {
    if (bound !== undefined && bound > from) {
      from = bound;
    }
  }
  const start = lowerBound(index, data, from);
  const matches = (doc) => doc.accountName === account && doc.containerName === container && doc.name > marker &&
    (startFrom === undefined || doc.name >= startFrom) && doc.snapshot.length === 0 &&
    (includeUncommittedBlobs || doc.isCommitted);
  const readPage = async (offset) => {
    const out = [];
    for (let i = start, skip = offset; i < index.length && out.length < maxResults; i++) {
      const doc = data[index[i]];
      if (typeof doc.name !== 'string' || !doc.name.startsWith(prefix)) {
        break; // past the prefix: every later name is greater
      }
      if (matches(doc) && skip-- <= 0) {
        out.push(doc);
      }
    }
    return out;
  };
  const page = new PageWithDelimiter(maxResults, delimiter, prefix);
  const [blobItems, blobPrefixes, nextMarker] = await page.fill(readPage, (item) => item.name);
  return [
    blobItems.map((doc) => {
      doc.properties.contentMD5 = this.restoreUint8Array(doc.properties.contentMD5);
      return LeaseFactory.createLeaseState(new BlobLeaseAdapter(doc), context).sync(new BlobLeaseSyncer(doc));
    }),
    blobPrefixes,
    nextMarker,
  ];
};

// lowerBound is the first place in the name index whose name is not less
// than key, a string no name can equal numerically (rangeable): LokiJS
// puts the numeric names first, then the others in string order.
function lowerBound(index, data, key) {
  let lo = 0;
  let hi = index.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const name = data[index[mid]].name;
    if (before(name, key)) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

function before(name, key) {
  if (typeof name !== 'string' || name === '' || Number(name) === Number(name)) {
    return true; // LokiJS orders these before any other string
  }
  return name < key;
}
