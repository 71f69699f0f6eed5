package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/credo-dev/credo/internal/config"
	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/store"
	"github.com/credo-dev/credo/store/sqlite"
)

func init() {
	register(command{name: "backup", summary: "copy the tenant database (SQLite) consistently, while credo runs", run: runBackup})
	register(command{name: "restore", summary: "put a backup in place of the tenant database (SQLite)", run: runRestore})
}

// pgBackupAdvice is what backup and restore say about PostgreSQL.
const pgBackupAdvice = `credo backup and restore work on the SQLite store. For PostgreSQL use its own tools on credo's
schema, e.g. pg_dump --format=custom --schema=SCHEMA 'DSN' > credo.dump and pg_restore --clean --dbname 'DSN' credo.dump
(every table of the schema is credo's), and keep CREDO_MASTER_KEY with the dump: the signing keys, HS256 secrets and
Action secrets in it are encrypted with that key, and cannot be used without it`

func runBackup(ctx context.Context, io IO, args []string) error {
	cfg := config.Default()
	cfg.LogLevel = "warn"
	fs := newFlagSet(io, "backup", `backup FILE [flags]

Writes a consistent copy of the tenant's SQLite database to FILE (a new file),
while credo serves it: the copy is the database as of one commit. Copying the
file with cp is not a backup: a running credo keeps recent writes in the -wal
file beside it.

The master key encrypts the signing keys and secrets in the copy: keep it with
the backup (--with-master-key copies the key file to FILE.master.key).

Example:
  credo backup /backups/credo-$(date +%F).db --db credo.db --with-master-key`)
	serveFlags(fs, &cfg)
	var withKey bool
	fs.Bool(&withKey, "with-master-key", false, "also copy the master key file to FILE.master.key (mode 0600)")
	pos, err := positional(fs, args, 1, "FILE")
	if err != nil {
		return err
	}
	cfg.MasterKey, _ = io.env("CREDO_MASTER_KEY")
	if err := cfg.Validate(); err != nil {
		return err
	}
	if cfg.IsPostgres() {
		return errors.New(pgBackupAdvice)
	}
	if _, err := os.Stat(cfg.DB); err != nil {
		return fmt.Errorf("database %s does not exist: give the tenant's file with --db", cfg.DB)
	}
	target := pos[0]
	if withKey && cfg.MasterKey != "" {
		return errors.New("--with-master-key: the master key comes from CREDO_MASTER_KEY, not a file; keep that value with the backup yourself")
	}
	keyTarget := target + ".master.key"
	if withKey {
		if _, err := os.Stat(keyTarget); err == nil {
			return fmt.Errorf("%s exists; choose a new backup name", keyTarget)
		}
	}
	start := time.Now()
	st, err := sqlite.Open(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Backup(ctx, target); err != nil {
		return err
	}
	summary, err := describeBackup(ctx, target)
	if err != nil {
		os.Remove(target)
		return fmt.Errorf("the copy does not check out (removed): %w", err)
	}
	fmt.Fprintf(io.Stdout, "Backed up %s to %s in %s: %s\n", cfg.DB, target, time.Since(start).Round(time.Millisecond), summary)
	switch {
	case withKey:
		if err := copyFile(cfg.MasterKeyFile, keyTarget); err != nil {
			return fmt.Errorf("master key: %w", err)
		}
		fmt.Fprintf(io.Stdout, "Copied the master key to %s: store it as carefully as the keys it protects.\n", keyTarget)
	case cfg.MasterKey != "":
		fmt.Fprintln(io.Stdout, "Keep the value of CREDO_MASTER_KEY with this backup: without it the keys and secrets in it cannot be decrypted.")
	default:
		fmt.Fprintf(io.Stdout, "Keep the master key %s with this backup (or use --with-master-key): without it the keys and secrets in it cannot be decrypted.\n", cfg.MasterKeyFile)
	}
	return nil
}

func runRestore(ctx context.Context, io IO, args []string) error {
	cfg := config.Default()
	cfg.LogLevel = "warn"
	fs := newFlagSet(io, "restore", `restore BACKUP [flags]

Puts BACKUP (made by credo backup) in place of the tenant's SQLite database
(--db), after checking it. Stop every credo serving the database first. An
existing database is replaced only with --yes. BACKUP.master.key, when there is
one, is put in place of the master key file if there is none yet.

Example:
  credo restore /backups/credo-2026-12-04.db --db credo.db --yes`)
	serveFlags(fs, &cfg)
	var yes bool
	fs.Bool(&yes, "yes", false, "replace an existing database without asking")
	pos, err := positional(fs, args, 1, "BACKUP")
	if err != nil {
		return err
	}
	cfg.MasterKey, _ = io.env("CREDO_MASTER_KEY")
	if err := cfg.Validate(); err != nil {
		return err
	}
	if cfg.IsPostgres() {
		return errors.New(pgBackupAdvice)
	}
	backup := pos[0]
	summary, err := describeBackup(ctx, backup)
	if err != nil {
		return fmt.Errorf("%s is not a usable backup: %w", backup, err)
	}
	if _, err := os.Stat(cfg.DB); err == nil && !yes {
		ok, err := confirm(io, fmt.Sprintf("Replace the database %s with %s (%s)?", cfg.DB, backup, summary))
		if err != nil {
			return err
		}
		if !ok {
			return errors.New("nothing was changed")
		}
	}
	tmp := cfg.DB + ".restoring"
	os.Remove(tmp)
	if err := copyFile(backup, tmp); err != nil {
		return err
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(cfg.DB + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			os.Remove(tmp)
			return err
		}
	}
	if err := os.Rename(tmp, cfg.DB); err != nil {
		os.Remove(tmp)
		return err
	}
	fmt.Fprintf(io.Stdout, "Restored %s from %s: %s\n", cfg.DB, backup, summary)
	if _, err := os.Stat(backup + ".master.key"); err == nil && cfg.MasterKey == "" {
		if _, err := os.Stat(cfg.MasterKeyFile); errors.Is(err, os.ErrNotExist) {
			if err := copyFile(backup+".master.key", cfg.MasterKeyFile); err != nil {
				return err
			}
			fmt.Fprintf(io.Stdout, "Put the backup's master key in place: %s\n", cfg.MasterKeyFile)
		} else {
			fmt.Fprintf(io.Stdout, "Kept the existing master key %s (the backup's is %s.master.key): the tenant needs the key it was created with.\n", cfg.MasterKeyFile, backup)
		}
	}
	return nil
}

// describeBackup opens a backup, checks its integrity and says what it
// holds (a backup of an older schema is migrated forward on the way).
func describeBackup(ctx context.Context, path string) (string, error) {
	if _, err := os.Stat(path); err != nil {
		return "", err
	}
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		return "", err
	}
	defer st.Close()
	if err := st.Check(ctx); err != nil {
		return "", err
	}
	iss, err := tenant.StoredIssuer(ctx, st)
	if err != nil {
		return "", err
	}
	if iss == "" {
		return "", errors.New("it holds no credo tenant")
	}
	_, clients, err := st.ListClients(ctx, store.ClientFilter{Page: store.Page{Limit: 1}})
	if err != nil {
		return "", err
	}
	v, err := st.Version(ctx)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("tenant %s, %d applications, version %d", iss, clients, v), nil
}

// copyFile copies src to dst (which must not exist), mode 0600, synced.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(dst)
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
