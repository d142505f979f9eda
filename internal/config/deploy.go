package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
)

// Settings of a deployment: identity-only connections and the public
// address (README, "Settings of a deployment").
//
//   - ServiceBusConnection__fullyQualifiedNamespace, __credential
//     ("managedidentity") and __clientId are the Service Bus trigger's
//     identity-based connection; the handler's own Service Bus client (the
//     sender, and the receiver in worker mode) uses the same identity:
//     __clientId, else AZURE_CLIENT_ID, else the system-assigned identity.
//   - AzureWebJobsStorage__accountName or __blobServiceUri name the host's
//     storage (leases, timers, keys). The handler does not use it; it is
//     accepted and checked so that a typo stops start-up with its name.
//   - DSR_STORAGE_URL is the results' blob service, with AZURE_CLIENT_ID.
//   - In Functions mode links are absolute https: DSR_PUBLIC_URL, else
//     https://$WEBSITE_HOSTNAME (which App Service sets); with neither,
//     Functions mode does not start.

// CredentialManagedIdentity is the one value ServiceBusConnection__credential takes.
const CredentialManagedIdentity = "managedidentity"

var (
	guidRE        = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	accountNameRE = regexp.MustCompile(`^[a-z0-9]{3,24}$`)
	hostNameRE    = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?$`)
)

// loadDeployment reads the identity settings and the public address.
func (c *Config) loadDeployment(p *parser) {
	c.loadIdentity(p)
	c.loadHostStorage(p)
	c.loadPublicURL(p)
}

func (c *Config) loadIdentity(p *parser) {
	if c.ClientID != "" && !guidRE.MatchString(c.ClientID) {
		p.fail("AZURE_CLIENT_ID", fmt.Errorf("%q is not a client id (a GUID)", c.ClientID))
	}
	if c.ServiceBusNamespace != "" && !hostNameRE.MatchString(c.ServiceBusNamespace) {
		p.fail("ServiceBusConnection__fullyQualifiedNamespace", fmt.Errorf("%q is not a host name such as <namespace>.servicebus.windows.net", c.ServiceBusNamespace))
	}
	cred := strings.ToLower(strings.TrimSpace(p.getenv("ServiceBusConnection__credential")))
	if cred != "" && cred != CredentialManagedIdentity {
		p.fail("ServiceBusConnection__credential", fmt.Errorf("%q: the only value is %s", cred, CredentialManagedIdentity))
	}
	c.ServiceBusCredential = cred
	c.ServiceBusClientID = c.ClientID
	if id := strings.TrimSpace(p.getenv("ServiceBusConnection__clientId")); id != "" {
		if cred != CredentialManagedIdentity {
			p.fail("ServiceBusConnection__credential", errors.New("must be managedidentity when ServiceBusConnection__clientId is set (the trigger ignores the client id otherwise)"))
		}
		if !guidRE.MatchString(id) {
			p.fail("ServiceBusConnection__clientId", fmt.Errorf("%q is not a client id (a GUID)", id))
		}
		c.ServiceBusClientID = id
	}
	if c.StorageURL != "" {
		checkHTTPS(p, "DSR_STORAGE_URL", c.StorageURL)
	}
}

func (c *Config) loadHostStorage(p *parser) {
	if name := strings.TrimSpace(p.getenv("AzureWebJobsStorage__accountName")); name != "" {
		if !accountNameRE.MatchString(name) {
			p.fail("AzureWebJobsStorage__accountName", fmt.Errorf("%q is not a storage account name (3 to 24 lower-case letters and digits)", name))
		}
		c.HostStorage = "https://" + name + ".blob.core.windows.net"
	}
	if uri := strings.TrimSpace(p.getenv("AzureWebJobsStorage__blobServiceUri")); uri != "" {
		if checkHTTPS(p, "AzureWebJobsStorage__blobServiceUri", uri) {
			c.HostStorage = strings.TrimSuffix(uri, "/")
		}
	}
}

func (c *Config) loadPublicURL(p *parser) {
	if c.Mode != Functions {
		return
	}
	host := strings.TrimSpace(p.getenv("WEBSITE_HOSTNAME"))
	switch {
	case c.PublicURL != "":
		checkHTTPS(p, "DSR_PUBLIC_URL", c.PublicURL)
	case host == "":
		p.fail("DSR_PUBLIC_URL", errors.New("Functions mode needs the app's public address for absolute links: set DSR_PUBLIC_URL or WEBSITE_HOSTNAME"))
	case !hostNameRE.MatchString(host):
		p.fail("WEBSITE_HOSTNAME", fmt.Errorf("%q is not a host name", host))
	default:
		c.PublicURL = "https://" + host
	}
}

// checkHTTPS fails name unless v is an absolute https URL; plain http is
// taken only for a loopback host (emulators and the test host).
func checkHTTPS(p *parser, name, v string) bool {
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && loopback(u.Hostname()))) {
		p.fail(name, fmt.Errorf("%q is not an absolute https URL", v))
		return false
	}
	return true
}

func loopback(host string) bool {
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback()
	}
	return strings.EqualFold(host, "localhost")
}
