enum WebSecurityPlaceholder {}
