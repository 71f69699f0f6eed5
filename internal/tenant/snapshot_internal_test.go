package tenant

import (
	"fmt"
	"testing"

	"github.com/credo-dev/credo/store"
)

// TestPatchesDoNotGrowTheGrants: thousands of patches to one client's grant
// keep the grant slice bounded, and every lookup still finds the right
// scopes, for the patched client and the others.
func TestPatchesDoNotGrowTheGrants(t *testing.T) {
	s := &Snapshot{clientIx: map[string]int32{}, grantIx: map[grantKey]int32{}, apis: map[string]*API{}}
	s.apis["urn:a"] = &API{ResourceServer: store.ResourceServer{Identifier: "urn:a"}}
	in := interner{strs: map[string]string{}, lists: map[string][]string{}}
	for i := range 10 {
		c := store.Client{ClientID: fmt.Sprintf("c%d", i)}
		s.clientIx[c.ClientID] = int32(len(s.clients))
		s.clients = append(s.clients, compactClient(&c, &in))
		s.addGrant(&store.ClientGrant{ClientID: c.ClientID, Audience: "urn:a", Scope: []string{fmt.Sprintf("s%d", i)}}, &in)
	}
	for v := range 5000 {
		scope := fmt.Sprintf("v%d", v)
		s = s.patched(int64(v + 1))
		s.withClients(map[string]clientState{"c3": {
			client: &store.Client{ClientID: "c3"},
			grants: []store.ClientGrant{{ClientID: "c3", Audience: "urn:a", Scope: []string{scope}}},
		}})
		if g, ok := s.Grant("c3", "urn:a"); !ok || len(g.Scopes) != 1 || g.Scopes[0] != scope {
			t.Fatalf("after patch %d: %v %v", v, g, ok)
		}
		if len(s.grants) > 2*len(s.grantIx)+1024 {
			t.Fatalf("after patch %d: %d grant slots for %d grants", v, len(s.grants), len(s.grantIx))
		}
	}
	for i := range 10 {
		if i == 3 {
			continue
		}
		g, ok := s.Grant(fmt.Sprintf("c%d", i), "urn:a")
		if !ok || g.Scopes[0] != fmt.Sprintf("s%d", i) {
			t.Fatalf("c%d's grant after the compactions: %v %v", i, g, ok)
		}
	}
}
