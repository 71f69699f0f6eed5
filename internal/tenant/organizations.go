package tenant

import (
	"context"
	"errors"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"unicode/utf8"

	"github.com/credo-dev/credo/internal/oauth"
	"github.com/credo-dev/credo/store"
)

// Auth0's limits on organizations.
const (
	maxOrgMetadataKeys  = 25
	maxOrgMetadataValue = 255
	maxOrgDisplayName   = 255
	maxLogoURL          = 2048
)

var (
	// orgNameRe is Auth0's organization name: 1 to 50 lowercase letters,
	// digits, _ and -; it may start with a digit.
	orgNameRe = regexp.MustCompile(`^[a-z0-9_-]{1,50}$`)
	colorRe   = regexp.MustCompile(`^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)
	orgUsages = []string{OrgUsageDeny, OrgUsageAllow, OrgUsageRequire}
)

// ValidOrganizationName reports whether v is a valid organization name.
func ValidOrganizationName(v string) bool { return orgNameRe.MatchString(v) }

// OrganizationFields are the writable organization fields; nil means "not
// given".
type OrganizationFields struct {
	ID          string // create only: an imported id (org_…); generated when empty
	Name        *string
	DisplayName *string
	Metadata    *map[string]string
	// MetadataPatch, applied after Metadata, sets each key to its value and
	// removes the keys whose value is nil (PATCH with null).
	MetadataPatch map[string]*string
	// Branding replaces the branding; an empty one removes it.
	Branding *store.OrganizationBranding
}

func (f *OrganizationFields) apply(o *store.Organization) error {
	if f.Name != nil {
		if !ValidOrganizationName(*f.Name) {
			return invalid("name", "must be 1 to 50 characters of a-z 0-9 _ -")
		}
		o.Name = *f.Name
	}
	if f.DisplayName != nil {
		if n := utf8.RuneCountInString(*f.DisplayName); !utf8.ValidString(*f.DisplayName) || n > maxOrgDisplayName {
			return invalid("display_name", "must be at most %d characters", maxOrgDisplayName)
		}
		o.DisplayName = *f.DisplayName
	}
	if f.Metadata != nil || f.MetadataPatch != nil {
		meta := map[string]string{}
		if f.Metadata != nil {
			meta = *f.Metadata
		} else {
			for k, v := range o.Metadata {
				meta[k] = v
			}
		}
		if f.MetadataPatch != nil {
			meta = maps.Clone(meta)
			for k, v := range f.MetadataPatch {
				if v == nil {
					delete(meta, k)
				} else {
					meta[k] = *v
				}
			}
		}
		if len(meta) > maxOrgMetadataKeys {
			return invalid("metadata", "at most %d keys", maxOrgMetadataKeys)
		}
		for k, v := range meta {
			if k == "" || utf8.RuneCountInString(k) > 255 || !utf8.ValidString(k) {
				return invalid("metadata", "key %q must be 1 to 255 characters", k)
			}
			if utf8.RuneCountInString(v) > maxOrgMetadataValue || !utf8.ValidString(v) {
				return invalid("metadata", "value of %q must be at most %d characters", k, maxOrgMetadataValue)
			}
		}
		o.Metadata = make(map[string]string, len(meta))
		for k, v := range meta {
			o.Metadata[k] = v
		}
	}
	if b := f.Branding; b != nil {
		if b.LogoURL != "" {
			u, err := url.Parse(b.LogoURL)
			if err != nil || len(b.LogoURL) > maxLogoURL || u.Scheme != "https" || u.Host == "" {
				return invalid("branding.logo_url", "must be an https URL of at most %d characters", maxLogoURL)
			}
		}
		for name, c := range map[string]string{"primary": b.Colors.Primary, "page_background": b.Colors.PageBackground} {
			if c != "" && !colorRe.MatchString(c) {
				return invalid("branding.colors."+name, "must be a color such as #0059d6")
			}
		}
		if *b == (store.OrganizationBranding{}) {
			o.Branding = nil
		} else {
			cp := *b
			o.Branding = &cp
		}
	}
	return nil
}

// orgIDRe is what an imported organization id must look like.
var orgIDRe = regexp.MustCompile(`^org_[A-Za-z0-9]{1,50}$`)

// CreateOrganization validates and creates an organization; its id is
// org_ and 16 random characters. A taken name is store.ErrConflict.
func (s *Service) CreateOrganization(ctx context.Context, f OrganizationFields) (store.Organization, error) {
	if f.Name == nil {
		return store.Organization{}, invalid("name", "is required")
	}
	now := s.now()
	o := store.Organization{ID: f.ID, Metadata: map[string]string{}, CreatedAt: now, UpdatedAt: now}
	if o.ID == "" {
		o.ID = "org_" + randomID(16)
	} else if !orgIDRe.MatchString(o.ID) {
		return store.Organization{}, invalid("id", "must be org_ followed by 1 to 50 characters of A-Z a-z 0-9")
	}
	if err := f.apply(&o); err != nil {
		return store.Organization{}, err
	}
	if err := s.Store.CreateOrganization(ctx, o); err != nil {
		return store.Organization{}, err
	}
	return o, nil
}

// UpdateOrganization applies a patch to an organization.
func (s *Service) UpdateOrganization(ctx context.Context, id string, f OrganizationFields) (store.Organization, error) {
	if f.ID != "" && f.ID != id {
		return store.Organization{}, invalid("id", "cannot be changed")
	}
	return s.Store.UpdateOrganization(ctx, id, func(o *store.Organization) error {
		if err := f.apply(o); err != nil {
			return err
		}
		o.UpdatedAt = s.now()
		return nil
	})
}

// DeleteOrganization deletes an organization and its grant associations.
// Clients whose default_organization names it keep the setting; their
// token requests that need it are refused like those naming an unknown
// organization.
func (s *Service) DeleteOrganization(ctx context.Context, id string) error {
	return s.Store.DeleteOrganization(ctx, id)
}

// AddOrganizationGrant associates a client grant with an organization and
// returns the grant. A missing organization or grant is a NotFoundError; an
// existing association store.ErrConflict.
func (s *Service) AddOrganizationGrant(ctx context.Context, orgID, grantID string) (store.ClientGrant, error) {
	if grantID == "" {
		return store.ClientGrant{}, invalid("grant_id", "is required")
	}
	g, err := s.Store.GetClientGrant(ctx, grantID)
	if errors.Is(err, store.ErrNotFound) {
		return store.ClientGrant{}, &NotFoundError{"client grant", grantID}
	} else if err != nil {
		return store.ClientGrant{}, err
	}
	if err := s.Store.AddOrganizationGrant(ctx, orgID, grantID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			if _, gerr := s.Store.GetOrganization(ctx, orgID); errors.Is(gerr, store.ErrNotFound) {
				return store.ClientGrant{}, &NotFoundError{"organization", orgID}
			}
			return store.ClientGrant{}, &NotFoundError{"client grant", grantID}
		}
		return store.ClientGrant{}, err
	}
	return g, nil
}

// RemoveOrganizationGrant removes a grant's association with an
// organization.
func (s *Service) RemoveOrganizationGrant(ctx context.Context, orgID, grantID string) error {
	return s.Store.RemoveOrganizationGrant(ctx, orgID, grantID)
}

// checkOrgFields validates a grant's organization settings for client c.
func checkOrgFields(f *GrantFields, c *store.Client) error {
	if f.OrganizationUsage != nil && !slices.Contains(orgUsages, *f.OrganizationUsage) {
		return invalid("organization_usage", "must be deny, allow or require")
	}
	if f.AllowAnyOrganization != nil && *f.AllowAnyOrganization && !c.IsFirstParty {
		return invalid("allow_any_organization", "third-party clients cannot use allow_any_organization; associate the grant with each organization")
	}
	return nil
}

// applyOrgFields sets the organization settings of f on g.
func applyOrgFields(f *GrantFields, g *store.ClientGrant) {
	if f.OrganizationUsage != nil {
		g.OrganizationUsage = *f.OrganizationUsage
	}
	if f.AllowAnyOrganization != nil {
		g.AllowAnyOrganization = *f.AllowAnyOrganization
	}
}

// checkDefaultOrganization validates a client's default_organization (an
// empty OrganizationID clears it): the organization must exist and the
// flows be Auth0's one, client_credentials.
func (s *Service) checkDefaultOrganization(ctx context.Context, d *store.DefaultOrganization) error {
	if d.OrganizationID == "" {
		return nil
	}
	if len(d.Flows) != 1 || d.Flows[0] != oauth.GrantClientCredentials {
		return invalid("default_organization.flows", "must be [\"client_credentials\"]")
	}
	if _, err := s.Store.GetOrganization(ctx, d.OrganizationID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return invalid("default_organization.organization_id", "no organization %q", d.OrganizationID)
		}
		return err
	}
	return nil
}
