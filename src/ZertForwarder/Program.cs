using ZertForwarder.Commands;
using ZertForwarder.Running;

// ZertForwarder: reads SMF 119 zERT records (subtypes 11/12), normalizes them to ECS / LEEF / flat fields and
// publishes them. The host is thin: each verb lives in Commands/.
// First, before the program's own threads start: native memory must not grow with the number of cores.
MallocArenas.Limit();
return await CommandLine.RunAsync(args);
