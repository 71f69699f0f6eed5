// Command populate fills a credo SQLite or PostgreSQL database with a large
// synthetic tenant for the scale benchmark (bench/scale.sh): N APIs and M
// clients, each client with one grant, through the same service layer as
// the Management API. Every client gets the same secret so that a load
// generator can authenticate as any of them. With -orgs N it also creates N
// organizations (scale-org-00000, …), each associated with -org-grants
// grants: organization o with the grants of clients o*G … o*G+G-1 (modulo
// the number of clients), and those grants allow organizations.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	"github.com/credo-dev/credo/internal/keys"
	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/store"
	"github.com/credo-dev/credo/store/postgres"
	"github.com/credo-dev/credo/store/sqlite"
)

func main() {
	db := flag.String("db", "scale.db", "SQLite file or postgres:// URL")
	clients := flag.Int("clients", 100000, "number of clients (each with one grant)")
	apis := flag.Int("apis", 1000, "number of APIs")
	secret := flag.String("secret", "scale-secret-0123456789abcdefghijklmnopqrstu", "client secret of every client")
	issuer := flag.String("issuer", "http://127.0.0.1:18080/", "issuer (for the Management API audience)")
	schema := flag.String("schema", "", "PostgreSQL schema (created if missing), as credo serve --db-schema")
	orgs := flag.Int("orgs", 0, "number of organizations")
	orgGrants := flag.Int("org-grants", 10, "grants associated with each organization")
	flag.Parse()
	ctx := context.Background()
	var st store.Store
	var err error
	if strings.HasPrefix(*db, "postgres") {
		st, err = postgres.Open(ctx, *db, postgres.Options{Schema: *schema})
	} else {
		st, err = sqlite.Open(ctx, *db)
	}
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	mk, err := keys.ParseMasterKey(os.Getenv("CREDO_MASTER_KEY"))
	if err != nil {
		log.Fatal("CREDO_MASTER_KEY: ", err)
	}
	km := &keys.Manager{Store: st, Master: mk, CommonName: "scale"}
	if _, err := km.Ensure(ctx); err != nil {
		log.Fatal(err)
	}
	svc := &tenant.Service{Store: st, Master: mk, Keys: km, Issuer: *issuer}
	if err := svc.EnsureSystem(ctx); err != nil {
		log.Fatal(err)
	}
	start := time.Now()
	scopes := []store.Scope{{Value: "read:scale"}, {Value: "write:scale"}}
	alg := "ES256"
	for i := range *apis {
		id, name := fmt.Sprintf("urn:scale:api:%04d", i), fmt.Sprintf("Scale API %d", i)
		if _, err := svc.CreateResourceServer(ctx, tenant.ResourceServerFields{Name: &name, Identifier: &id, Scopes: &scopes, SigningAlg: &alg}); err != nil {
			log.Fatal(err)
		}
	}
	granted := []string{"read:scale", "write:scale"}
	usage := "deny"
	if *orgs > 0 {
		usage = "allow"
	}
	grantIDs := make([]string, 0, *clients)
	for i := range *clients {
		name := fmt.Sprintf("scale client %d", i)
		c, _, err := svc.CreateClient(ctx, tenant.ClientFields{ClientID: fmt.Sprintf("scale-%06d", i), ClientSecret: *secret, Name: &name})
		if err != nil {
			log.Fatal(err)
		}
		g, err := svc.CreateGrant(ctx, tenant.GrantFields{ClientID: c.ClientID, Audience: fmt.Sprintf("urn:scale:api:%04d", i%*apis), Scope: &granted, OrganizationUsage: &usage})
		if err != nil {
			log.Fatal(err)
		}
		grantIDs = append(grantIDs, g.ID)
		if (i+1)%10000 == 0 {
			fmt.Fprintf(os.Stderr, "%d clients (%s)\n", i+1, time.Since(start).Round(time.Second))
		}
	}
	assoc := 0
	for o := range *orgs {
		name := fmt.Sprintf("scale-org-%05d", o)
		org, err := svc.CreateOrganization(ctx, tenant.OrganizationFields{Name: &name})
		if err != nil {
			log.Fatal(err)
		}
		seen := map[string]bool{}
		for k := range *orgGrants {
			if len(grantIDs) == 0 {
				break
			}
			gid := grantIDs[(o**orgGrants+k)%len(grantIDs)]
			if seen[gid] {
				continue
			}
			seen[gid] = true
			if _, err := svc.AddOrganizationGrant(ctx, org.ID, gid); err != nil {
				log.Fatal(err)
			}
			assoc++
		}
		if (o+1)%1000 == 0 {
			fmt.Fprintf(os.Stderr, "%d organizations (%s)\n", o+1, time.Since(start).Round(time.Second))
		}
	}
	fmt.Fprintf(os.Stderr, "populated %d APIs, %d clients with grants and %d organizations with %d associations in %s\n",
		*apis, *clients, *orgs, assoc, time.Since(start).Round(time.Millisecond))
}
