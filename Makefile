# The README names two targets: `make run` and `make test`. Each installs what it needs first.
SHELL := /bin/bash
.DEFAULT_GOAL := help
RUN = scripts/uv run --frozen --no-sync

.PHONY: help install install-test run test openapi bench simulate seed web db-start db-stop db-url clean-data

help:
	@echo "make run       install what is missing, start the database, migrate, load demo data, serve"
	@echo "make test      install what is missing, then ruff, mypy and the whole pytest suite"
	@echo "make openapi   regenerate openapi/openapi.json from the app"
	@echo "make bench     run the benchmarks and rewrite bench/README.md"
	@echo "make simulate  run the sync simulator against a running server"
	@echo "make seed      load demo data (ARGS='--stations 436 --cases 20000')"
	@echo "make web      refresh the vendored Leaflet, the offline base layer (Natural Earth) and the QR generator from the npm registry (needs node)"
	@echo "make db-start / db-stop / db-url   manage the private cluster under .data/"

install:
	@scripts/bootstrap.sh

install-test:
	@scripts/bootstrap.sh --browser

run: install
	@$(RUN) python -m api.cli run --demo

test: install-test
	@echo "==> ruff"; $(RUN) ruff check .
	@echo "==> mypy"; $(RUN) mypy
	@echo "==> pytest"; $(RUN) pytest

openapi: install
	@$(RUN) python -m api.cli openapi

bench: install
	@$(RUN) python -m bench.run $(ARGS)

simulate: install
	@$(RUN) python -m sync.simulate $(ARGS)

seed: install
	@$(RUN) python -m api.cli seed-demo $(ARGS)

# Refresh the vendored Leaflet the map serves and the QR generator the station app's enrolment
# uses (a fresh machine needs no node to run either).
web:
	cd web && npm ci --no-audit --no-fund
	mkdir -p api/static/vendor/leaflet
	cp web/node_modules/leaflet/dist/leaflet.js web/node_modules/leaflet/dist/leaflet.css web/node_modules/leaflet/LICENSE api/static/vendor/leaflet/
	cp -r web/node_modules/leaflet/dist/images api/static/vendor/leaflet/
	node web/basemap.mjs
	mkdir -p api/static/vendor/qrcode-generator
	cp web/node_modules/qrcode-generator/dist/qrcode.mjs api/static/vendor/qrcode-generator/

db-start: install
	@$(RUN) python -m scripts.pgcluster start

db-stop:
	@$(RUN) python -m scripts.pgcluster stop

db-url:
	@$(RUN) python -m scripts.pgcluster url

clean-data: db-stop
	rm -rf .data
