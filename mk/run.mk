# SPDX-License-Identifier: GPL-2.0
# Running: native unit tests, the VM suite (check, one program alone: vmtest), power cuts
# (crashtest), the fuzzers, the benchmarks and the demo.  Included by the Makefile.

unit: units $(LIBUNITS) headers-check $(TOOLS) $(LIB_SO)
	@tests/unit/run.sh $(UNITS) $(LIBUNITS)
	@SCRATCH_LIBRARY=$(CURDIR)/$(B)/lib/libscratch.so.1 python/run-tests.sh tests/test_native.py

check-6.1: deps
	@$(MAKE) -s all
	@tests/check.sh 6.1

check-6.12: deps
	@$(MAKE) -s all module-6.12
	@tests/check.sh 6.12

check: deps
	@$(MAKE) -s all module-6.12 module-rt module-debug
	@$(MAKE) -s deb > $(B)/deb.log 2>&1 || { tail -n 40 $(B)/deb.log; exit 1; }
	@tests/check.sh unit 6.1 6.12 rt debug crash fault host

# One VM test program alone (a substring or glob of its name):
# make vmtest T=verify [KERNEL=6.1|6.12|rt|debug]
VMTEST_KERNEL := $(or $(KERNEL),6.1)
vmtest: deps
	@test -n "$(T)" || { echo "vmtest: name a test program, e.g. make vmtest T=verify" >&2; exit 2; }
	@$(MAKE) -s all $(patsubst %,module-%,$(filter 6.12 rt debug,$(VMTEST_KERNEL)))
	@tests/vm/run.sh --kernel $(VMTEST_KERNEL) --drives 2 --drive-size 1G \
		$(if $(filter debug,$(VMTEST_KERNEL)),--mem 3G --test-timeout 1500) -- check $(T)

# Hundreds of power cuts (make check runs 12).
crashtest: deps
	@$(MAKE) -s all
	@tests/crashtest.sh $(or $(CUTS),200) --kernel 6.1

demo: deps
	@$(MAKE) -s all
	@tests/vm/run.sh --kernel 6.1 --drives 2 --drive-size 512M -- demo

# fio (with its libraries, added by mkinitramfs) and the bench programs (mk/tools.mk) go to /bench;
# then the worker-host VM (tests/vm/hostvm.sh --bench) runs the Python and Dask side.  One
# JSON object of both in build/bench.json.
bench: bench-module bench-python
	@cat $(B)/bench.log $(B)/bench-python.log | sed -n 's/^BENCH-JSON //p' | \
		python3 -c 'import json, sys; d = {}; [d.update(json.loads(l)) for l in sys.stdin]; print(json.dumps(d))' \
		> $(B)/bench.json
	@echo "bench: ratios in $(B)/bench.json"

# BENCH_PARTS: some of module lib shuffle reload ram (tests/vm/guest/bench.sh), default all.
bench-module: deps
	@$(MAKE) -s all $(B)/bench/fio $(B)/bench/scratch-bench $(B)/bench/scratch-libbench \
		$(B)/bench/scratch-shufflebench $(B)/bench/reloadload $(B)/bench/scratch-rambench
	@rm -rf $(B)/bench-img && mkdir -p $(B)/bench-img
	@# Identical drives of 20 GiB (sparse): the million-atom RAM run needs 64 segments of
	@# 256 MiB.  ext4 initialises its tables here, not in the guest's background.
	@truncate -s 20G $(B)/bench-img/nvme0.img $(B)/bench-img/nvme1.img
	@mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 $(B)/bench-img/nvme1.img
	@tests/vm/run.sh --kernel 6.1 --drives 2 --drive-size 20G --images $(B)/bench-img --mem 3G \
		--bench -- bench $(BENCH_PARTS) \
		| tee $(B)/bench.log

# The Python binding against C, Dask's spill directory on ext4 against scratch.
bench-python: deps
	@$(MAKE) -s all $(B)/bench/scratch-bindbench
	@$(MAKE) -s deb > $(B)/deb.log 2>&1 || { tail -n 40 $(B)/deb.log; exit 1; }
	@tests/vm/hostvm.sh --bench | tee $(B)/bench-python.log

# The worker-host VM: systemd boots this machine's root with our packages (tests/vm/hostvm.sh).
vm-host: deps
	@$(MAKE) -s all deb
	@tests/check.sh host

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf $(B)

# The on-disk parsers natively, then the syscall fuzzer in the VM (the debug kernel:
# KASAN and lockdep watch it), FUZZ_SECONDS each; FUZZ_SEED replays a seed.
fuzz: deps
	@$(MAKE) -s all module-debug
	@scripts/fuzz.sh $(or $(FUZZ_SECONDS),60)
	@tests/vm/run.sh --kernel debug --drives 2 --drive-size 1G --mem 3G \
		--test-timeout $$(( $(or $(FUZZ_SECONDS),60) + 300 )) \
		--timeout $$(( $(or $(FUZZ_SECONDS),60) * 3 + 600 )) \
		--append "SCRATCH_FUZZ_SECONDS=$(or $(FUZZ_SECONDS),60) $(if $(FUZZ_SEED),SCRATCH_FUZZ_SEED=$(FUZZ_SEED))" \
		-- check sysfuzz
