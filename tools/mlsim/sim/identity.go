package sim

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// tokenLifetime is the validity of issued tokens (expires_in).
const tokenLifetime = time.Hour

// identityAPIVersion is the App Service managed-identity protocol version.
const identityAPIVersion = "2019-08-01"

// IssueToken returns a bearer token for audience, valid for an hour. Only a
// token for Options.Audience is accepted by the API; tests use this to skip
// the token endpoint.
func (s *Server) IssueToken(audience string) string {
	token, _ := s.issue(audience, time.Now())
	return token
}

// issue makes a token for audience and returns it with its expiry. A token
// is "mlsim1." + base64url(audience "\n" expiry "\n" nonce) + "." +
// base64url(HMAC).
func (s *Server) issue(audience string, now time.Time) (string, time.Time) {
	exp := now.Add(tokenLifetime).Truncate(time.Second)
	var nonce [8]byte
	_, _ = rand.Read(nonce[:])
	payload := audience + "\n" + strconv.FormatInt(exp.Unix(), 10) + "\n" + hex.EncodeToString(nonce[:])
	enc := base64.RawURLEncoding.EncodeToString([]byte(payload))
	return "mlsim1." + enc + "." + s.mac(enc), exp
}

// mac signs an encoded token payload.
func (s *Server) mac(enc string) string {
	m := hmac.New(sha256.New, s.tokenKey)
	m.Write([]byte(enc))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// authorized reports whether r carries "Authorization: Bearer <token>" with
// a token this server issued, not expired, for Options.Audience.
func (s *Server) authorized(r *http.Request) bool {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	parts := strings.Split(strings.TrimSpace(token), ".")
	if len(parts) != 3 || parts[0] != "mlsim1" || !hmac.Equal([]byte(parts[2]), []byte(s.mac(parts[1]))) {
		return false
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return false
	}
	fields := strings.Split(string(raw), "\n")
	if len(fields) != 3 {
		return false
	}
	exp, err := strconv.ParseInt(fields[1], 10, 64)
	if err != nil || time.Now().Unix() >= exp {
		return false
	}
	return sameAudience(fields[0], s.opts.Audience)
}

// sameAudience compares audiences ignoring one trailing slash, as ARM does.
func sameAudience(a, b string) bool {
	return strings.TrimSuffix(a, "/") == strings.TrimSuffix(b, "/")
}

// tokenResponse is the App Service managed-identity token answer.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	ExpiresOn   int64  `json:"expires_on"`
	ExpiresIn   int    `json:"expires_in"`
	Resource    string `json:"resource"`
	TokenType   string `json:"token_type"`
}

// identityError is the token endpoint's error body.
type identityError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// serveToken implements GET /msi/token?api-version=2019-08-01&resource=...
// with header X-IDENTITY-HEADER: 401 for a wrong or missing header, 400 for
// a wrong api-version or no resource. A token is issued for any resource;
// only one for Options.Audience is accepted by the API.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	s.tokenAnswer(r).write(w)
}

// tokenAnswer computes the answer of serveToken.
func (s *Server) tokenAnswer(r *http.Request) *response {
	if r.Method != http.MethodGet {
		return jsonResponse(http.StatusMethodNotAllowed, identityError{"invalid_request", "use GET"})
	}
	if !hmac.Equal([]byte(r.Header.Get("X-IDENTITY-HEADER")), []byte(s.opts.IdentityHeader)) {
		return jsonResponse(http.StatusUnauthorized, identityError{"unauthorized", "missing or wrong X-IDENTITY-HEADER"})
	}
	if down := s.tokenDown(); down != nil {
		return down
	}
	q := r.URL.Query()
	if q.Get("api-version") != identityAPIVersion {
		return jsonResponse(http.StatusBadRequest, identityError{"invalid_request", "api-version must be " + identityAPIVersion})
	}
	resource := q.Get("resource")
	if resource == "" {
		return jsonResponse(http.StatusBadRequest, identityError{"invalid_request", "the resource query parameter is required"})
	}
	token, exp := s.issue(resource, time.Now())
	return jsonResponse(http.StatusOK, tokenResponse{
		AccessToken: token,
		ExpiresOn:   exp.Unix(),
		ExpiresIn:   int(tokenLifetime / time.Second),
		Resource:    resource,
		TokenType:   "Bearer",
	})
}
