// Every test here starts the forwarder as a child process, and several watch it mid-run (SIGKILL, SIGTERM,
// back-pressure). Running them one at a time keeps those observations meaningful on a 2-core CI machine.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
