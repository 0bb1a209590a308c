# mote: build, run, test, install. See README.md.
SHELL := /bin/bash
PREFIX ?= /usr/local
DESTDIR ?=
SWIFT ?= swift
APT_PACKAGES := libsqlite3-dev libsystemd-dev
# Tools the tests use: socket activation, journald, setpriv (util-linux), nspawn, curl, jq, openssl (test
# certificates), socat (the TCP bridge docs/clients.md shows for clients that speak only TCP),
# lintian (the Debian package's check), chromium, its driver and Debian's python3-venv (the console's
# browser test).
TEST_APT_PACKAGES := systemd util-linux systemd-container mmdebstrap curl jq openssl socat lintian chromium chromium-driver python3-venv
RELEASE_DIR := .build/release-static
# The MLflow server the sync tests start (a venv cached outside the clone, keyed by version).
MLFLOW_VERSION := 3.17.2
MLFLOW_VENV ?= /var/cache/mote-ci/mlflow-venv-$(MLFLOW_VERSION)
# The libraries imported models must match (LightGBM, XGBoost, scikit-learn, onnxruntime, ...),
# in a venv cached outside the clone, keyed by the pinned requirements' content.
ORACLE_REQUIREMENTS := tools/oracle-requirements.txt
ORACLE_VENV ?= /var/cache/mote-ci/oracle-venv-$(shell sha256sum $(ORACLE_REQUIREMENTS) | cut -c1-12)
# Schemathesis, which property-tests the API from docs/openapi.yaml (a venv keyed by version).
SCHEMATHESIS_VERSION := 4.32.5
SCHEMATHESIS_VENV ?= /var/cache/mote-ci/schemathesis-venv-$(SCHEMATHESIS_VERSION)
# The client libraries of docs/clients.md (Feast SDK, tritonclient, KServe, httpx), in a venv keyed
# by the pinned requirements' content.
CLIENT_REQUIREMENTS := tools/client-requirements.txt
CLIENT_VENV ?= /var/cache/mote-ci/client-venv-$(shell sha256sum $(CLIENT_REQUIREMENTS) | cut -c1-12)
# Selenium for the console's browser test, in a venv keyed by the pinned requirements' content.
CONSOLE_REQUIREMENTS := tools/console-requirements.txt
CONSOLE_VENV ?= /var/cache/mote-ci/console-venv-$(shell sha256sum $(CONSOLE_REQUIREMENTS) | cut -c1-12)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps test-deps mlflow-venv oracle-venv schemathesis-venv client-venv console-venv install-files install-man build run test release install man deb bench e2e-rootfs fuzz clean

all: build

# Installs the Debian packages the build needs when they are missing.
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; fi

test-deps: deps
	@missing=""; for p in $(TEST_APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; fi
	@$(MAKE) --no-print-directory mlflow-venv oracle-venv schemathesis-venv client-venv console-venv

# Selenium in a venv for the console's browser test (pip; a few seconds the first time). Debian's
# Python (python3-venv), so that the test can run the browser as another user too.
console-venv:
	@if [ -x $(CONSOLE_VENV)/bin/python ] && [ -f $(CONSOLE_VENV)/.complete ]; then echo "selenium cached at $(CONSOLE_VENV)"; else \
	  $(SUDO) mkdir -p $(dir $(CONSOLE_VENV)) && $(SUDO) rm -rf $(CONSOLE_VENV) && $(SUDO) /usr/bin/python3 -m venv $(CONSOLE_VENV) && \
	  $(SUDO) $(CONSOLE_VENV)/bin/pip install -q -r $(CONSOLE_REQUIREMENTS) && $(SUDO) touch $(CONSOLE_VENV)/.complete \
	  || { $(SUDO) rm -rf $(CONSOLE_VENV); exit 1; }; fi

# The client libraries in a venv for the client tests (pip; about 90 s the first time).
client-venv:
	@if [ -x $(CLIENT_VENV)/bin/python ] && [ -f $(CLIENT_VENV)/.complete ]; then echo "client libraries cached at $(CLIENT_VENV)"; else \
	  $(SUDO) mkdir -p $(dir $(CLIENT_VENV)) && $(SUDO) rm -rf $(CLIENT_VENV) && $(SUDO) python3 -m venv $(CLIENT_VENV) && \
	  $(SUDO) $(CLIENT_VENV)/bin/pip install -q -r $(CLIENT_REQUIREMENTS) && $(SUDO) touch $(CLIENT_VENV)/.complete \
	  || { $(SUDO) rm -rf $(CLIENT_VENV); exit 1; }; fi

# Schemathesis in a venv for the API schema test (pip; about 30 s the first time).
schemathesis-venv:
	@if [ -x $(SCHEMATHESIS_VENV)/bin/st ]; then echo "schemathesis $(SCHEMATHESIS_VERSION) cached at $(SCHEMATHESIS_VENV)"; else \
	  $(SUDO) mkdir -p $(dir $(SCHEMATHESIS_VENV)) && $(SUDO) rm -rf $(SCHEMATHESIS_VENV) && $(SUDO) python3 -m venv $(SCHEMATHESIS_VENV) && \
	  $(SUDO) $(SCHEMATHESIS_VENV)/bin/pip install -q "schemathesis==$(SCHEMATHESIS_VERSION)" || { $(SUDO) rm -rf $(SCHEMATHESIS_VENV); exit 1; }; fi

# The oracle libraries in a venv for the import parity tests (pip; about 1 minute the first time).
oracle-venv:
	@if [ -x $(ORACLE_VENV)/bin/python ] && [ -f $(ORACLE_VENV)/.complete ]; then echo "oracle libraries cached at $(ORACLE_VENV)"; else \
	  $(SUDO) mkdir -p $(dir $(ORACLE_VENV)) && $(SUDO) rm -rf $(ORACLE_VENV) && $(SUDO) python3 -m venv $(ORACLE_VENV) && \
	  $(SUDO) $(ORACLE_VENV)/bin/pip install -q -r $(ORACLE_REQUIREMENTS) && $(SUDO) touch $(ORACLE_VENV)/.complete \
	  || { $(SUDO) rm -rf $(ORACLE_VENV); exit 1; }; fi

# MLflow in a venv for the sync tests (pip; about 1-3 minutes the first time, then cached).
mlflow-venv:
	@if [ -x $(MLFLOW_VENV)/bin/mlflow ]; then echo "mlflow $(MLFLOW_VERSION) cached at $(MLFLOW_VENV)"; else \
	  $(SUDO) mkdir -p $(dir $(MLFLOW_VENV)) && rm -rf $(MLFLOW_VENV) && python3 -m venv $(MLFLOW_VENV) && \
	  $(MLFLOW_VENV)/bin/pip install -q "mlflow==$(MLFLOW_VERSION)" || { rm -rf $(MLFLOW_VENV); exit 1; }; fi

build: deps
	$(SWIFT) build

# Starts moted in the foreground with state and socket under ./.mote/ (Ctrl-C stops it).
run: build
	@mkdir -p .mote
	@echo "moted: socket $(CURDIR)/.mote/mote.sock  (try: curl --unix-socket .mote/mote.sock http://localhost/v1/status)"
	exec .build/debug/moted --config etc/mote/moted.toml --state-dir .mote/state --socket .mote/mote.sock --log-stderr

# Unit, integration and systemd tests (the real-systemd test needs the rootfs: make e2e-rootfs),
# and the Debian package (built first: it is what the real-systemd test installs).
# Bounded: a hung test fails the run instead of stalling it.
test: test-deps deb
	$(SWIFT) build --build-tests
	MOTE_DEB=$$(ls $(CURDIR)/$(DEB_DIR)/mote_*.deb) MOTE_MLFLOW=$(MLFLOW_VENV)/bin/mlflow MOTE_ORACLE_PYTHON=$(ORACLE_VENV)/bin/python MOTE_SCHEMATHESIS_PYTHON=$(SCHEMATHESIS_VENV)/bin/python MOTE_CLIENTS_PYTHON=$(CLIENT_VENV)/bin/python MOTE_CONSOLE_PYTHON=$(CONSOLE_VENV)/bin/python timeout --kill-after=30s 40m $(SWIFT) test --skip-build --no-parallel

# A Debian tree with systemd for the nspawn end-to-end test, cached outside the clone.
E2E_ROOTFS ?= /var/cache/mote-ci/rootfs-bookworm-v1
e2e-rootfs: test-deps
	@if [ -x $(E2E_ROOTFS)/lib/systemd/systemd ]; then echo "rootfs cached at $(E2E_ROOTFS)"; else \
	  $(SUDO) mkdir -p $(dir $(E2E_ROOTFS)) && rm -rf $(E2E_ROOTFS).tmp && \
	  $(SUDO) mmdebstrap --variant=minbase --include=systemd,systemd-sysv,dbus,procps,libsqlite3-0,curl \
	    bookworm $(E2E_ROOTFS).tmp http://deb.debian.org/debian && $(SUDO) mv $(E2E_ROOTFS).tmp $(E2E_ROOTFS); fi

# Static Swift runtime, stripped: the binaries to ship. Dynamic exclusivity checks are off
# in release builds only (they were a fifth of the instructions of a request; debug and
# test builds keep them, so a violation still fails `make test`): see docs/decisions.md.
release: deps
	$(SWIFT) build -c release --static-swift-stdlib --scratch-path .build-release -Xswiftc -enforce-exclusivity=unchecked
	@mkdir -p $(RELEASE_DIR)
	strip -o $(RELEASE_DIR)/moted .build-release/release/moted
	strip -o $(RELEASE_DIR)/motectl .build-release/release/motectl
	@ls -l $(RELEASE_DIR)

install: release man install-files install-man
	install -D -m 0755 $(RELEASE_DIR)/moted $(DESTDIR)$(PREFIX)/bin/moted
	install -D -m 0755 $(RELEASE_DIR)/motectl $(DESTDIR)$(PREFIX)/bin/motectl
	@echo ""
	@echo "Installed. To start mote:"
	@echo "  systemd-sysusers                 # creates user and group 'mote'"
	@echo "  systemctl daemon-reload"
	@echo "  systemctl enable --now moted.socket moted.service"
	@echo "  usermod -aG mote <user>          # <user> may push, predict, send feedback (role write)"
	@echo "  usermod -aG mote,mote-admin <user>  # <user> may also administer mote (role admin)"
	@echo "  motectl status"

# Man pages (make man) and shell completions, under PREFIX (a completion file is sourced, not
# run: no #! line).
install-man:
	for page in motectl.1 moted.8 moted.toml.5; do install -D -m 0644 $(MAN_DIR)/$$page $(DESTDIR)$(PREFIX)/share/man/man$${page##*.}/$$page; done
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	$(RELEASE_DIR)/motectl completion bash | sed '1{/^#!/d}' > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/motectl
	$(RELEASE_DIR)/motectl completion zsh > $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions/_motectl
	$(RELEASE_DIR)/motectl completion fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/motectl.fish

# Man pages in $(MAN_DIR): motectl(1) from the command's own help (the argument parser's
# generate-manual plugin, on the debug build; a blank line of a discussion becomes a paragraph
# break), moted(8) as written in docs/man/, moted.toml(5) from the commented config.
MAN_DIR := .build/man
man: build
	@mkdir -p $(MAN_DIR)
	$(SWIFT) package --allow-writing-to-directory $(MAN_DIR) generate-manual --configuration debug --section 1 --output-directory $(MAN_DIR) >/dev/null
	sed -i 's/^$$/.Pp/' $(MAN_DIR)/motectl.1 && rm -f $(MAN_DIR)/moted.1
	cp docs/man/moted.8 $(MAN_DIR)/moted.8
	python3 tools/config-manpage.py etc/mote/moted.toml "$$(.build/debug/motectl --version)" > $(MAN_DIR)/moted.toml.5
	@ls $(MAN_DIR)

# The Debian package of the release binaries: .build/deb/mote_VERSION_ARCH.deb (lintian clean;
# docs/operations.md, "Install from the Debian package").
DEB_DIR := .build/deb
deb: release man
	@rm -f $(DEB_DIR)/mote_*.deb
	packaging/deb/build.sh $(RELEASE_DIR) $(MAN_DIR) $(DEB_DIR)

# Everything but the binaries: units (their paths and Documentation= follow PREFIX), sysusers,
# the config (kept when present), docs. `make install` runs it after the release build.
install-files:
	install -d $(DESTDIR)$(PREFIX)/lib/systemd/system $(DESTDIR)$(PREFIX)/lib/sysusers.d
	sed 's|/usr/local/|$(PREFIX)/|g' systemd/moted.service > $(DESTDIR)$(PREFIX)/lib/systemd/system/moted.service
	sed 's|/usr/local/|$(PREFIX)/|g' systemd/moted.socket > $(DESTDIR)$(PREFIX)/lib/systemd/system/moted.socket
	chmod 0644 $(DESTDIR)$(PREFIX)/lib/systemd/system/moted.service $(DESTDIR)$(PREFIX)/lib/systemd/system/moted.socket
	install -m 0644 systemd/mote.sysusers $(DESTDIR)$(PREFIX)/lib/sysusers.d/mote.conf
	@if [ -e $(DESTDIR)/etc/mote/moted.toml ]; then echo "kept existing /etc/mote/moted.toml"; \
	  else install -D -m 0644 etc/mote/moted.toml $(DESTDIR)/etc/mote/moted.toml; fi
	install -d $(DESTDIR)$(PREFIX)/share/doc/mote
	install -m 0644 README.md docs/*.md docs/openapi.yaml $(DESTDIR)$(PREFIX)/share/doc/mote/

# Coverage-guided fuzzing of every parser (libFuzzer, AddressSanitizer), FUZZ_SECONDS per
# target, from the seeds in fuzz/corpus/; findings land in fuzz/findings/ (see fuzz/run.sh).
FUZZ_SECONDS ?= 60
fuzz: deps
	fuzz/run.sh $(FUZZ_SECONDS)

# Benchmarks (release build); numbers go to bench/RESULTS.md.
bench: release
	bench/run.sh

# Build outputs only: the `make run` daemon's state under .mote/ (features, models, runs) is
# the user's data and stays (remove it by hand: rm -rf .mote).
clean:
	rm -rf .build .build-release
