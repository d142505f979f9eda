// Package infra holds the Azure infrastructure of a deployment as ARM JSON
// templates (azuredeploy.json, deployed to a resource group, and
// ml-access.json, deployed to each subscription whose Azure ML data the app
// may export or delete), and the tests that hold them to the app: every
// setting the app reads is set, least-privilege roles only, the queue as the
// code assumes it. The package has no code of its own.
package infra
