# The cloud side (docs/infra.md). synth needs no terraform binary; hcl and deploy use cdktf-cli 0.21.0 (hcl
# runs the same app with SYNTH_HCL_OUTPUT=true and formats the result); deploy needs terraform >= 1.5 and Google
# credentials (gcloud auth application-default login). CHECKPOINT_DISABLE: no call to HashiCorp's version check.
CDKTF := CHECKPOINT_DISABLE=1 npx --yes cdktf-cli@0.21.0

.PHONY: synth hcl deploy audit

synth: install
	node --import tsx infra/main.ts
	@echo "wrote cdktf.out/stacks/nvr-backup/cdk.tf.json"

hcl: install
	$(CDKTF) synth --hcl
	@echo "plain Terraform in cdktf.out/stacks/nvr-backup/cdk.tf (state: see docs/infra.md, Terraform state)"

# DEPLOY_FLAGS=--migrate-state once after switching the state backend (docs/infra.md, Terraform state).
DEPLOY_FLAGS ?=
deploy: install
	$(CDKTF) deploy nvr-backup $(DEPLOY_FLAGS)

# The deployed bucket against the settings the stack is synthesized with (the same NVR_BACKUP_* variables);
# BUCKET defaults to the bucket those settings name.
audit: install
	node tools/audit-lifecycle.mjs $(if $(BUCKET),"$(BUCKET)")
