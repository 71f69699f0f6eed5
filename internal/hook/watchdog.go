package hook

import (
	"runtime/metrics"
	"sync"
	"time"
)

const (
	// watchdogTick is how often the heap is sampled while scripts run.
	watchdogTick = 2 * time.Millisecond
	// watchdogCooldown bounds how long the watchdog waits, after
	// interrupting one script, for a GC cycle to show whether that was
	// enough before it interrupts another.
	watchdogCooldown = 50 * time.Millisecond
)

var watchdogMetrics = []string{
	"/memory/classes/heap/objects:bytes", // live and not yet swept objects
	"/gc/heap/goal:bytes",
	"/gc/cycles/total:gc-cycles",
}

// watchdog bounds heap growth while scripts run. Go cannot attribute heap to
// a goroutine, so it watches the process heap: an execution's limit is
// MaxHeapGrowth above the larger of the heap and the heap goal when the
// watchdog first sees it (the goal, because other goroutines' garbage
// legitimately fills the heap up to it before the GC runs). When the heap
// passes an execution's limit, the execution that has been running
// JavaScript without a break the longest (a runaway allocator never
// pauses; a script waiting on a timer allocates nothing) is interrupted,
// and no other is until a GC cycle has completed or the cooldown has passed.
type watchdog struct {
	limit uint64

	mu      sync.Mutex
	execs   map[*execution]struct{}
	running bool
}

func newWatchdog(limit uint64) *watchdog {
	return &watchdog{limit: limit, execs: make(map[*execution]struct{})}
}

func (w *watchdog) add(x *execution) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.execs[x] = struct{}{}
	if !w.running {
		w.running = true
		go w.loop()
	}
}

func (w *watchdog) remove(x *execution) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.execs, x)
}

// loop runs while executions are registered.
func (w *watchdog) loop() {
	t := time.NewTicker(watchdogTick)
	defer t.Stop()
	samples := make([]metrics.Sample, len(watchdogMetrics))
	for i, name := range watchdogMetrics {
		samples[i].Name = name
	}
	var (
		list       []*execution
		cooling    bool
		coolCycles uint64
		coolUntil  time.Time
	)
	for now := range t.C {
		w.mu.Lock()
		if len(w.execs) == 0 {
			w.running = false
			w.mu.Unlock()
			return
		}
		list = list[:0]
		for x := range w.execs {
			list = append(list, x)
		}
		w.mu.Unlock()

		metrics.Read(samples)
		heap := sampleUint(samples[0])
		goal := sampleUint(samples[1])
		cycles := sampleUint(samples[2])

		var victim *execution
		var victimSince int64
		for _, x := range list {
			if x.heapLimit == 0 {
				x.heapLimit = max(heap, goal) + w.limit
				continue
			}
			if heap <= x.heapLimit {
				continue
			}
			since := x.jsSince.Load()
			if since == 0 {
				continue
			}
			if victim == nil || since < victimSince {
				victim, victimSince = x, since
			}
		}
		if victim == nil {
			continue
		}
		if cooling && cycles == coolCycles && now.Before(coolUntil) {
			continue
		}
		victim.interrupt(ErrHeapLimit, "allocation bound exceeded: the heap grew by more than %d MiB", w.limit>>20)
		cooling, coolCycles, coolUntil = true, cycles, now.Add(watchdogCooldown)
	}
}

func sampleUint(s metrics.Sample) uint64 {
	if s.Value.Kind() == metrics.KindUint64 {
		return s.Value.Uint64()
	}
	return 0
}
