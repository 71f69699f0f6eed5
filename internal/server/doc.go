// Package server wires credo's HTTP surface: routes.go is the one route
// table; the token endpoint, discovery, JWKS, health checks and the
// Management API are mounted there, behind a recovery and access-log
// middleware. server.New takes every dependency explicitly.
package server
