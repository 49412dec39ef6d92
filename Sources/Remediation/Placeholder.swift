enum RemediationPlaceholder {}
