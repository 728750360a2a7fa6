// Package domain is Parley's model: the commands, the events and their
// registry, the state folded from them, the deciders that turn a command and
// a state into events or a typed error, and the ports (EventStore, Mailer)
// through which everything else reaches the world. It runs no process and
// imports only the standard library, so that the rules can be read and
// tested without a store (ADR 34); the packages under it apply the model.
package domain
