package client

import "context"

// allPages collects every page of an offset-paginated list: list(page)
// returns the page's items and the total from include_totals.
func allPages[T any](ctx context.Context, list func(ctx context.Context, page int) ([]T, int, error)) ([]T, error) {
	var out []T
	for page := 0; ; page++ {
		items, total, err := list(ctx, page)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
		if len(items) == 0 || len(out) >= total {
			return out, nil
		}
	}
}

// All returns every application, 100 per request. Scope read:clients.
func (s *ClientsService) All(ctx context.Context) ([]Application, error) {
	return allPages(ctx, func(ctx context.Context, page int) ([]Application, int, error) {
		l, err := s.List(ctx, ListOptions{Page: page, PerPage: 100, IncludeTotals: true})
		if err != nil {
			return nil, 0, err
		}
		return l.Clients, l.Total, nil
	})
}

// All returns every API, 100 per request. Scope read:resource_servers.
func (s *ResourceServersService) All(ctx context.Context) ([]ResourceServer, error) {
	return allPages(ctx, func(ctx context.Context, page int) ([]ResourceServer, int, error) {
		l, err := s.List(ctx, ListOptions{Page: page, PerPage: 100, IncludeTotals: true})
		if err != nil {
			return nil, 0, err
		}
		return l.ResourceServers, l.Total, nil
	})
}

// All returns every grant matching opts' ClientID and Audience, following
// checkpoint pagination 100 at a time (opts' paging fields are ignored).
// Scope read:client_grants.
func (s *ClientGrantsService) All(ctx context.Context, opts ClientGrantListOptions) ([]ClientGrant, error) {
	opts = ClientGrantListOptions{ClientID: opts.ClientID, Audience: opts.Audience, Take: 100}
	var out []ClientGrant
	for {
		l, err := s.List(ctx, opts)
		if err != nil {
			return nil, err
		}
		out = append(out, l.ClientGrants...)
		if l.Next == "" || len(l.ClientGrants) == 0 {
			return out, nil
		}
		opts.From = l.Next
	}
}
