package dashboard

import (
	"net/url"
	"strings"
)

// snippet is the Test tab's token request in one language, in the shape
// of the code samples of Auth0's documentation (the seed documents), with
// the tenant's values filled in.
type snippet struct {
	ID, Name, Code string
}

var snippetNames = map[string]string{
	"curl": "cURL", "csharp": "C#", "go": "Go", "java": "Java", "node": "Node.JS",
	"objc": "Obj-C", "php": "PHP", "python": "Python", "ruby": "Ruby", "swift": "Swift",
}

// snippetTemplates are the embedded samples, in file order.
var snippetTemplates []snippet

func loadSnippets() error {
	if snippetTemplates != nil {
		return nil
	}
	files, err := snippetFS.ReadDir("snippets")
	if err != nil {
		return err
	}
	var out []snippet
	for _, f := range files {
		b, err := snippetFS.ReadFile("snippets/" + f.Name())
		if err != nil {
			return err
		}
		id := strings.TrimSuffix(f.Name()[strings.IndexByte(f.Name(), '-')+1:], ".txt")
		out = append(out, snippet{ID: id, Name: snippetNames[id], Code: string(b)})
	}
	snippetTemplates = out
	return nil
}

// snippets fills the samples for a client and an audience. The secret
// stays YOUR_CLIENT_SECRET: credo keeps only its hash.
func (db *Dashboard) snippets(clientID, audience string) []snippet {
	if clientID == "" {
		clientID = "YOUR_CLIENT_ID"
	}
	tokenURL := db.d.Issuer + "oauth/token"
	u, _ := url.Parse(tokenURL)
	pyConn, rubySSL := "HTTPSConnection", "true"
	if u.Scheme == "http" {
		pyConn, rubySSL = "HTTPConnection", "false"
	}
	rep := strings.NewReplacer(
		"TOKEN_URL", tokenURL, "TOKEN_PATH", u.EscapedPath(), "HOST", u.Host,
		"PY_CONNECTION", pyConn, "RUBY_SSL", rubySSL,
		"YOUR_CLIENT_ID", clientID,
		"YOUR_API_IDENTIFIER_Q", url.QueryEscape(audience), "YOUR_API_IDENTIFIER", audience,
	)
	out := make([]snippet, len(snippetTemplates))
	for i, s := range snippetTemplates {
		out[i] = snippet{ID: s.ID, Name: s.Name, Code: rep.Replace(s.Code)}
	}
	return out
}
