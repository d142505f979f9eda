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
//
// test/procs TestAzuritePreloadRemovesAndCountsLikeLokiJS checks that the same
// documents are removed and counted and that the indices end the same.
const Loki = require('lokijs');

const proto = Loki.Collection.prototype;

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
