# igcam: the two commands a newcomer needs.
#   make run   installs missing Debian packages, builds (release), opens the viewer on the bundled demo
#   make test  installs missing Debian packages, builds (release) and runs the whole test suite,
#              a real Slurm array, then every fuzz target for FUZZ_CI_SECONDS under sanitizers
#   make fuzz  fuzzes every target for FUZZ_SECONDS each (docs/RELIABILITY.md)

APT_PACKAGES := libdnnl-dev libpng-dev libjpeg62-turbo-dev libncurses-dev ncurses-term tmux chafa
# Only for `make test`: XtermSixelTests runs a real sixel terminal on a virtual display
# (~30 s to install, ~13 s to run); `make run` does not need them.
TEST_APT_PACKAGES := xterm xvfb x11-apps xfonts-base
SWIFT ?= swift
CONFIG ?= release

.PHONY: run test build deps bench clean fuzz fuzz-ci

# Seconds per fuzz target: `make fuzz` (long campaigns) and the short budget inside `make test`.
FUZZ_SECONDS ?= 600
FUZZ_CI_SECONDS ?= 20

run: deps build
	.build/$(CONFIG)/igcam

build:
	$(SWIFT) build -c $(CONFIG) --product igcam

# tools/test-all.sh: fixtures and Slurm's packages in the background during one build of the
# package and its tests, then the tests, the Slurm array and the fuzz targets; prints each phase's time.
test: APT_PACKAGES += $(TEST_APT_PACKAGES)
test: deps
	SWIFT=$(SWIFT) CONFIG=$(CONFIG) MAKE=$(MAKE) tools/test-all.sh

# A real Slurm run on this machine (installs slurm-wlm and munge if missing, starts and stops the
# daemons itself): 3 array tasks of igcam evaluate, merged, must equal one process (docs/SCALE.md).
.PHONY: slurm-test
slurm-test:
	$(SWIFT) build -c $(CONFIG) --product igcam
	tools/slurm-local.sh .build/$(CONFIG)/igcam

# libFuzzer under AddressSanitizer (Fuzz/run.sh); crashers land in Tests/Fixtures/fuzz/<target>/.
fuzz: deps
	SWIFT=$(SWIFT) Fuzz/run.sh $(FUZZ_SECONDS)

# In CI the targets run side by side, one per core (each still gets FUZZ_CI_SECONDS of its own).
fuzz-ci: deps
	SWIFT=$(SWIFT) FUZZ_JOBS=$${FUZZ_JOBS:-$$(nproc)} Fuzz/run.sh $(FUZZ_CI_SECONDS)

# torchvision models (random weights) exported to ONNX + PyTorch parity fixtures, cached in
# .build/parity (where TorchvisionParityTests looks); pip-installs pinned PyTorch if needed;
# exits 0 without it (those tests then skip, saying why).
.PHONY: fixtures
fixtures:
	tools/ci_fixtures.sh .build/parity

# Install only what is missing (root, or sudo when available).
deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

bench: build
	.build/$(CONFIG)/igcam bench

clean:
	rm -rf .build
