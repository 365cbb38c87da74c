#!/usr/bin/env -S node --max-old-space-size=256
// Runs the compiled CLI; `npm install` builds dist/ through the `prepare` script.
// The old-space cap keeps V8 from growing the heap lazily under a high allocation rate: the live set is
// small, and without it RSS drifts past 350 MB during a large backlog (bench/backlog.ts).
// V8's young generation is left at its default (semi-spaces growing to 16 MB): 4 MB gave a lower ingest tail at
// half load but cost delivery and the PostgreSQL store more CPU (README, "Memory").
// package.json's start script passes the same flags.
import '../dist/cli/main.js';
