// Package blob is the Azure Blob Storage adapter of store.Store: every key
// is a block blob in one container.
//
// The adapter is built on a *container.Client that main constructs (with
// NewContainerClient for managed identity, or
// NewContainerClientFromConnectionString for Azurite and local runs); it
// needs only data-plane rights on that container (Storage Blob Data
// Contributor). EnsureContainer, which creates the container, is for local
// and test runs only: production containers are provisioned with the
// infrastructure.
//
// Writes are block-blob uploads that become visible only when their block
// list is committed (or, for a body that fits in one block, in a single Put
// Blob), so a reader never sees a part of a blob; a body that fails before
// the end commits nothing. Create-only writes carry If-None-Match: *, which
// the service checks atomically at commit.
package blob

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"amldsr/internal/store"
)

// Store keeps blobs in one Azure Blob Storage container.
type Store struct {
	c *container.Client
}

var _ store.Store = (*Store)(nil)

// New returns a Store over the container c addresses. The container must
// exist (see EnsureContainer for local and test runs).
func New(c *container.Client) *Store {
	return &Store{c: c}
}

// NewContainerClient addresses containerName in the storage account at
// serviceURL (https://<account>.blob.core.windows.net, DSR_STORAGE_URL),
// authenticating with cred (the function app's managed identity).
func NewContainerClient(serviceURL, containerName string, cred azcore.TokenCredential) (*container.Client, error) {
	if cred == nil {
		return nil, fmt.Errorf("blob store: no credential for %s", serviceURL)
	}
	u, err := url.Parse(serviceURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("blob store: bad service URL %q", serviceURL)
	}
	if err := validContainer(containerName); err != nil {
		return nil, err
	}
	u = u.JoinPath(containerName)
	c, err := container.NewClient(u.String(), cred, nil)
	if err != nil {
		return nil, fmt.Errorf("blob store: %w", err)
	}
	return c, nil
}

// NewContainerClientFromConnectionString addresses containerName in the
// account a storage connection string names (Azurite's, in local and test
// runs).
func NewContainerClientFromConnectionString(cs, containerName string) (*container.Client, error) {
	if err := validContainer(containerName); err != nil {
		return nil, err
	}
	c, err := container.NewClientFromConnectionString(cs, containerName, nil)
	if err != nil {
		return nil, fmt.Errorf("blob store: connection string: %w", err)
	}
	return c, nil
}

// EnsureContainer creates the container c addresses unless it exists.
//
// It is meant for local and test runs only: in production the container is
// provisioned with the storage account, and the function app's identity
// holds only data-plane roles, which cannot create containers.
func EnsureContainer(ctx context.Context, c *container.Client) error {
	_, err := c.Create(ctx, nil)
	if err == nil || bloberror.HasCode(err, bloberror.ContainerAlreadyExists) {
		return nil
	}
	return fmt.Errorf("blob store: creating container %s: %w", c.URL(), err)
}

// validContainer applies Azure's rules for container names: 3 to 63
// lower-case letters, digits and single hyphens, starting and ending with a
// letter or digit.
func validContainer(name string) error {
	ok := len(name) >= 3 && len(name) <= 63 &&
		name[0] != '-' && name[len(name)-1] != '-' && !strings.Contains(name, "--")
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			ok = false
		}
	}
	if !ok {
		return fmt.Errorf("blob store: bad container name %q (3-63 lower-case letters, digits, single hyphens)", name)
	}
	return nil
}
