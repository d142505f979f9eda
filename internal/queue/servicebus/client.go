// Package servicebus is the queue port's adapter for Azure Service Bus
// queues, on the azservicebus SDK. Main builds the *azservicebus.Client
// (identity-based with NewClient, or NewClientFromConnectionString for the
// emulator and local stand-in); NewSender, NewReceiver and
// NewDeadLetterReceiver bind it to one queue. Every adapter value passes
// queuetest.
package servicebus

import (
	"errors"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"
)

// NewClient returns a client of the namespace fqns (such as
// "myns.servicebus.windows.net") that authenticates with cred, a managed
// identity in production.
func NewClient(fqns string, cred azcore.TokenCredential) (*azservicebus.Client, error) {
	if fqns == "" {
		return nil, errors.New("servicebus: no fully qualified namespace")
	}
	if cred == nil {
		return nil, errors.New("servicebus: no token credential")
	}
	c, err := azservicebus.NewClient(fqns, cred, nil)
	if err != nil {
		return nil, fmt.Errorf("servicebus: client for %s: %w", fqns, err)
	}
	return c, nil
}

// NewClientFromConnectionString returns a client from a connection string
// (shared access key, or UseDevelopmentEmulator=true for an emulator). The
// connection string is a secret: errors never include it.
func NewClientFromConnectionString(cs string) (*azservicebus.Client, error) {
	if cs == "" {
		return nil, errors.New("servicebus: empty connection string")
	}
	c, err := azservicebus.NewClientFromConnectionString(cs, nil)
	if err != nil {
		return nil, errors.New("servicebus: the connection string is not valid")
	}
	return c, nil
}
