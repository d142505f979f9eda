package config

// DeploymentSettings names every app setting a deployment to Azure Functions
// must set: the identity-based connections of the Functions host and of the
// Service Bus trigger (which the handler reads too), the settings Load reads
// in Functions mode, and the settings of the features that turn on in a
// deployment (retention, deadlines, callbacks, Application Insights).
//
// The infrastructure template (infra/azuredeploy.json) sets each of them;
// infra's test fails when one is missing. A setting the app reads in
// Functions mode without a usable default belongs here.
var DeploymentSettings = []string{
	// The Functions host's own storage, identity-based.
	"AzureWebJobsStorage__accountName",
	"AzureWebJobsStorage__credential",
	"AzureWebJobsStorage__clientId",
	// The queue: the trigger binding and the handler read the same settings.
	"ServiceBusConnection__fullyQualifiedNamespace",
	"ServiceBusConnection__credential",
	"ServiceBusConnection__clientId",
	"DSR_QUEUE",
	// Results.
	"DSR_STORAGE_URL",
	"DSR_CONTAINER",
	// The user-assigned identity every Azure call uses.
	"AZURE_CLIENT_ID",
	// The timer's schedule (%DSR_SWEEP_SCHEDULE% in functions/Sweep).
	"DSR_SWEEP_SCHEDULE",
	"DSR_ALLOWED_SCOPES",
	"DSR_PUBLIC_URL",
	// Pacing: each instance's share of the subscription's ARM budget.
	"DSR_READS_PER_SECOND",
	"DSR_DELETES_PER_SECOND",
	"DSR_RETENTION_DAYS",
	"DSR_DUE_DAYS",
	"DSR_CALLBACK_HOSTS",
	"DSR_CALLBACK_SECRET",
	"APPLICATIONINSIGHTS_CONNECTION_STRING",
}
