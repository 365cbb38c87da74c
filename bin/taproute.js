#!/usr/bin/env -S node --max-old-space-size=256
// Runs the compiled CLI; `npm install` builds dist/ through the `prepare` script.
// The old-space cap keeps V8 from growing the heap lazily under a high allocation rate: the live set is
// small, and without it RSS drifts past 350 MB during a large backlog (bench/backlog.ts).
import '../dist/cli/main.js';
