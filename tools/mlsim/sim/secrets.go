package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// PlantedPrefix starts every credential that Options.PlantSecrets puts in
// the documents: an export that lets one through shows it at once.
const PlantedPrefix = "planted-secret-"

// plantedAt are the places where the real services keep credentials, per
// kind (the official examples and specs): each gets a planted value, the
// objects on the way created when missing.
var plantedAt = map[string][]string{
	KindExpAccount: {"properties.storageAccount.accessKey"},
	KindCluster: {"properties.containerService.orchestratorProperties.servicePrincipal.secret", "properties.appInsights.apiKey",
		"properties.globalServiceConfiguration.ssl.cert", "properties.globalServiceConfiguration.ssl.key"},
	KindAMLCompute: {"properties.properties.administratorAccount.password", "properties.properties.administratorAccount.privateKeyData",
		"properties.properties.userAccountCredentials.adminUserPassword", "properties.properties.sslConfiguration.key"},
	KindAMLConnection:     {"properties.credentials.pat", "properties.value"},
	KindAMLDatastore:      {"properties.credentials.secrets.key"},
	KindAMLOnlineEndpoint: {"properties.keys.primaryKey", "properties.keys.secondaryKey"},
	KindAMLBatchEndpoint:  {"properties.keys.primaryKey", "properties.keys.secondaryKey"},
}

// plantSecrets puts distinct credentials (planted-secret-<kind>-<n>.<i>) in
// every stored document: at the places of plantedAt, and in every document
// of every kind an object "planted" (in "properties" when the document has
// such an object) holding each kind of credential the contract names. The
// rendered documents (artifact content info and URIs) carry their SAS
// signatures already. Called once, after seeding, when
// Options.PlantSecrets is set.
func (s *Server) plantSecrets() {
	s.mu.Lock()
	defer s.mu.Unlock()
	count := map[string]int{}
	var planted []*item
	s.st.each("", func(_ string, it *item) bool {
		var doc map[string]any
		dec := json.NewDecoder(bytes.NewReader(it.doc))
		dec.UseNumber()
		if it.doc == nil || dec.Decode(&doc) != nil {
			return true // rendered, or not an object
		}
		count[it.kind]++
		i := 0
		secret := func() string {
			i++
			return fmt.Sprintf("%s%s-%d.%d", PlantedPrefix, it.kind, count[it.kind], i)
		}
		for _, p := range plantedAt[it.kind] {
			setPath(doc, strings.Split(p, "."), secret())
		}
		target := doc
		if props, ok := doc["properties"].(map[string]any); ok {
			target = props
		}
		target["planted"] = obj{
			"accessKey": secret(), "primaryKey": secret(), "secondaryKey": secret(), "password": secret(),
			"adminUserPassword": secret(), "secret": secret(), "clientSecret": secret(), "apiKey": secret(),
			"sasToken": secret(), "connectionString": secret(), "storageConnectionString": secret(),
			"credentials":      obj{"token": secret(), "kind": "kept"},
			"sslConfiguration": obj{"status": "Enabled", "key": secret()},
			"blobUri":          "https://planted.blob.core.windows.net/c/b?sv=2021-08-06&sig=" + secret() + "&se=2030-01-01",
		}
		b, err := json.Marshal(doc)
		if err != nil {
			panic("sim: planting in " + it.path + ": " + err.Error())
		}
		cp := *it
		cp.doc = b
		planted = append(planted, &cp)
		return true
	})
	for _, it := range planted {
		s.st.put(it)
	}
}

// setPath sets the value at path in m, creating objects on the way.
func setPath(m map[string]any, path []string, v string) {
	for _, name := range path[:len(path)-1] {
		next, ok := m[name].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[name] = next
		}
		m = next
	}
	m[path[len(path)-1]] = v
}
