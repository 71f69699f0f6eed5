package postgres

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// errClosed is returned by a closed Store.
var errClosed = errors.New("postgres: store is closed")

// healthCheckAfter is how long a connection may sit idle before it is
// pinged on its way out of the pool; a database restart leaves dead
// connections behind.
const healthCheckAfter = time.Second

// pool is a small pool of pgx connections: at most cap(slots) open at once,
// idle ones reused last-in first-out, broken ones (closed, busy, or left
// inside a transaction) discarded on release.
//
// It stands in for pgxpool, whose dependency (github.com/jackc/puddle/v2)
// is not in this module's go.sum; the Store needs nothing pgxpool has beyond
// this.
type pool struct {
	config *pgx.ConnConfig
	slots  chan struct{}

	mu     sync.Mutex
	idle   []idleConn
	closed bool
	// suspect is when a connection was last found dead: idle connections
	// released before then are pinged before use, since whatever killed
	// one (a restart) likely killed them all.
	suspect time.Time
}

type idleConn struct {
	conn  *pgx.Conn
	since time.Time
}

func newPool(config *pgx.ConnConfig, maxConns int32) *pool {
	return &pool{config: config, slots: make(chan struct{}, maxConns)}
}

// acquire returns a connection that the caller must release; fresh skips
// the idle connections and opens a new one.
func (p *pool) acquire(ctx context.Context, fresh bool) (*pgx.Conn, error) {
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			<-p.slots
			return nil, errClosed
		}
		n := len(p.idle)
		if n == 0 || fresh {
			p.mu.Unlock()
			break
		}
		ic := p.idle[n-1]
		p.idle = p.idle[:n-1]
		suspect := ic.since.Before(p.suspect)
		p.mu.Unlock()
		if ic.conn.IsClosed() {
			continue
		}
		if suspect || time.Since(ic.since) > healthCheckAfter {
			if err := ctx.Err(); err != nil {
				p.putBack(ic)
				<-p.slots
				return nil, err
			}
			if err := ic.conn.Ping(ctx); err != nil {
				closeConn(ic.conn)
				continue
			}
		}
		return ic.conn, nil
	}
	conn, err := pgx.ConnectConfig(ctx, p.config.Copy())
	if err != nil {
		<-p.slots
		return nil, err
	}
	return conn, nil
}

// release returns conn to the pool, or closes it if it is not clean. A
// connection that has died makes the idle ones suspect.
func (p *pool) release(conn *pgx.Conn) {
	defer func() { <-p.slots }()
	if conn.IsClosed() {
		p.mu.Lock()
		p.suspect = time.Now()
		p.mu.Unlock()
		return
	}
	if conn.PgConn().IsBusy() || conn.PgConn().TxStatus() != 'I' {
		closeConn(conn)
		return
	}
	p.putBack(idleConn{conn: conn, since: time.Now()})
}

func (p *pool) putBack(ic idleConn) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		closeConn(ic.conn)
		return
	}
	p.idle = append(p.idle, ic)
	p.mu.Unlock()
}

// close closes the idle connections; connections in use are closed when
// they are released.
func (p *pool) close() {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.closed = nil, true
	p.mu.Unlock()
	for _, ic := range idle {
		closeConn(ic.conn)
	}
}

func closeConn(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	conn.Close(ctx)
}
