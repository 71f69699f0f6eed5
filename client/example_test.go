package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"sync/atomic"

	"golang.org/x/oauth2"

	"github.com/credo-dev/credo/client"
)

// exampleServer stands in for credo: a token endpoint and a tiny part of the
// Management API.
func exampleServer() (*httptest.Server, *atomic.Int32) {
	var tokenRequests atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/token", func(w http.ResponseWriter, r *http.Request) {
		tokenRequests.Add(1)
		if r.PostFormValue("client_secret") != "s3cret" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"invalid_client","error_description":"Client authentication failed"}`)
			return
		}
		fmt.Fprint(w, `{"access_token":"eyJhbGciOi...","token_type":"Bearer","expires_in":86400,"scope":"create:clients create:client_grants"}`)
	})
	mux.HandleFunc("POST /api/v2/clients", func(w http.ResponseWriter, r *http.Request) {
		var app map[string]any
		_ = json.NewDecoder(r.Body).Decode(&app)
		app["client_id"], app["client_secret"] = "cid_reporting", "generated-secret"
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(app)
	})
	mux.HandleFunc("POST /api/v2/client-grants", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"statusCode":403,"error":"Forbidden","message":"Insufficient scope, expected any of: create:client_grants","errorCode":"insufficient_scope"}`)
	})
	return httptest.NewServer(mux), &tokenRequests
}

func ExampleTokenSource() {
	srv, tokenRequests := exampleServer()
	defer srv.Close()

	ts := client.TokenSource(context.Background(), client.ClientCredentials{
		Issuer:       srv.URL + "/", // the token endpoint is Issuer + "oauth/token"
		ClientID:     "cid_admin",
		ClientSecret: "s3cret",
		Audience:     srv.URL + "/api/v2/",
	})
	for range 3 {
		tok, err := ts.Token()
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(tok.Type(), tok.AccessToken, tok.Extra("scope"))
	}
	fmt.Println("token requests:", tokenRequests.Load())

	// Use it for any API that accepts these tokens:
	httpClient := &http.Client{Transport: &oauth2.Transport{Source: ts}}
	_ = httpClient
	// Output:
	// Bearer eyJhbGciOi... create:clients create:client_grants
	// Bearer eyJhbGciOi... create:clients create:client_grants
	// Bearer eyJhbGciOi... create:clients create:client_grants
	// token requests: 1
}

func ExampleTokenError() {
	srv, _ := exampleServer()
	defer srv.Close()

	ts := client.TokenSource(context.Background(), client.ClientCredentials{
		TokenURL:     srv.URL + "/oauth/token",
		ClientID:     "cid_admin",
		ClientSecret: "wrong",
		Audience:     "https://api.example.com",
	})
	_, err := ts.Token()
	var te *client.TokenError
	if errors.As(err, &te) {
		fmt.Println(te.StatusCode, te.Code, te.Description)
	}
	// Output:
	// 401 invalid_client Client authentication failed
}

func ExampleNew() {
	srv, _ := exampleServer()
	defer srv.Close()
	ctx := context.Background()

	ts := client.TokenSource(ctx, client.ClientCredentials{
		Issuer:       srv.URL + "/",
		ClientID:     "cid_admin",
		ClientSecret: "s3cret",
		Audience:     srv.URL + "/api/v2/",
	})
	mgmt := client.New(srv.URL+"/", ts)

	app, err := mgmt.Clients.Create(ctx, &client.Application{
		Name:       "reporting",
		AppType:    "non_interactive",
		GrantTypes: []string{"client_credentials"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(app.ClientID, app.ClientSecret)

	_, err = mgmt.ClientGrants.Create(ctx, &client.ClientGrant{
		ClientID: app.ClientID,
		Audience: "https://timesheets.example.com",
		Scope:    []string{"read:timesheets"},
	})
	var apiErr *client.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode == "insufficient_scope" {
		fmt.Println(apiErr.StatusCode, apiErr.Message)
	}
	// Output:
	// cid_reporting generated-secret
	// 403 Insufficient scope, expected any of: create:client_grants
}
