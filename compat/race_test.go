//go:build race

package compat

// raceEnabled builds credo with -race too, so that compat traffic also
// hunts data races in the server.
const raceEnabled = true
