#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# zeek_baselines.sh - logs and events of mailtapd vs Zeek's baselines.
exec python3 "$(dirname "$0")/zeek_baselines.py" "${1:-build}"
