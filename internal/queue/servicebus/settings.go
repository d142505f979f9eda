package servicebus

import "time"

// QueueProperties are the properties of a Service Bus queue.
type QueueProperties struct {
	MaxDeliveryCount                 int
	LockDuration                     time.Duration
	RequiresDuplicateDetection       bool
	RequiresSession                  bool
	DeadLetteringOnMessageExpiration bool
}

// QueueSettings are the queue properties amldsr assumes; the deployment
// template provisions the queue with them (README, "Queue settings"):
//
//   - maxDeliveryCount 10: a step that keeps failing is dead-lettered after
//     10 deliveries, and the sweep re-drives it or records it failed;
//   - lockDuration PT1M: the Functions host (and worker mode) renew the
//     lock while a step runs;
//   - requiresDuplicateDetection false: the ledger's markers and
//     create-only records make redelivery harmless. Re-drives carry a new
//     message id (worker.RedriveID) all the same, so that a queue made with
//     detection on does not drop them;
//   - no sessions: the steps of one request run in parallel;
//   - no dead-lettering on expiry: messages do not expire.
var QueueSettings = QueueProperties{
	MaxDeliveryCount:                 10,
	LockDuration:                     time.Minute,
	RequiresDuplicateDetection:       false,
	RequiresSession:                  false,
	DeadLetteringOnMessageExpiration: false,
}
