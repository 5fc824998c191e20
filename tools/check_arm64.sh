#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The arm64 run of tools/check_cross.sh (kept for its old name): tools/check_arm64.sh [--all].
# ARM64_BUILD_DIR, when set, is the build directory.
CROSS_BUILD_DIR=${ARM64_BUILD_DIR:-${CROSS_BUILD_DIR:-}} exec "$(dirname "$0")/check_cross.sh" arm64 "$@"
