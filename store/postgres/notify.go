package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// Backoff between LISTEN reconnection attempts, and how long the listener
// waits for a notification before it pings its connection.
const (
	minBackoff   = 100 * time.Millisecond
	maxBackoff   = 10 * time.Second
	idlePingTime = 30 * time.Second
)

// ListenerApplicationName is the application_name of the LISTEN connections
// that Changes opens, followed by ":" and the schema when Options.Schema is
// set; operators (and tests) find them by it in pg_stat_activity.
const ListenerApplicationName = "credo-listen"

// Changes implements store.Notifier. Each call opens its own LISTEN
// connection (outside the pool), so a process should call it once and fan
// out. The channel, which holds one pending value, receives a value:
//
//   - when listening has started, and again after every reconnection, since
//     writes may have been missed meanwhile (load and compare the version);
//   - after each committed write to this Store's schema, by any process.
//
// The connection is re-established with exponential backoff (100ms to 10s)
// after the database restarts or the connection is killed. The channel is
// closed when ctx ends.
func (s *Store) Changes(ctx context.Context) <-chan struct{} {
	ch := make(chan struct{}, 1)
	go s.listen(ctx, ch)
	return ch
}

func (s *Store) listen(ctx context.Context, ch chan<- struct{}) {
	defer close(ch)
	backoff := minBackoff
	for {
		s.listenOnce(ctx, ch, func() { backoff = minBackoff })
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// listenOnce connects, listens and forwards notifications until the
// connection fails or ctx ends; listening calls started once it is in place.
func (s *Store) listenOnce(ctx context.Context, ch chan<- struct{}, started func()) error {
	config := s.db.pool.Config().ConnConfig
	config.RuntimeParams["application_name"] = ListenerApplicationName
	if s.schema != "" {
		config.RuntimeParams["application_name"] += ":" + s.schema
	}
	conn, err := pgx.ConnectConfig(ctx, config)
	if err != nil {
		return err
	}
	defer closeConn(conn)
	var schema string
	if err := conn.QueryRow(ctx, `SELECT coalesce(current_schema(), '')`).Scan(&schema); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, `LISTEN `+changesChannel); err != nil {
		return err
	}
	started()
	signal(ch)
	for {
		wctx, cancel := context.WithTimeout(ctx, idlePingTime)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			if n.Payload == schema {
				signal(ch)
			}
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded) && !conn.IsClosed():
			if err := conn.Ping(ctx); err != nil {
				return err
			}
		default:
			return err
		}
	}
}

// signal leaves a value in ch unless one is already pending.
func signal(ch chan<- struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// closeConn closes conn, waiting at most a second for the server to hear.
func closeConn(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	conn.Close(ctx)
}
