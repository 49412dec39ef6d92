print("kvm-agent")
