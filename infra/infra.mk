# The cloud side (docs/infra.md). synth needs no terraform binary; hcl and deploy use cdktf-cli 0.21.0 and need
# terraform >= 1.5 and Google credentials (gcloud auth application-default login).
CDKTF := npx --yes cdktf-cli@0.21.0

.PHONY: synth hcl deploy audit

synth: install
	node --import tsx infra/main.ts
	@echo "wrote cdktf.out/stacks/nvr-backup/cdk.tf.json"

hcl: install
	$(CDKTF) synth --hcl
	@echo "plain Terraform in cdktf.out/stacks/nvr-backup/"

deploy: install
	$(CDKTF) deploy nvr-backup

audit:
	@test -n "$(BUCKET)" || { echo "usage: make audit BUCKET=<bucket name>"; exit 2; }
	node tools/audit-lifecycle.mjs "$(BUCKET)"
