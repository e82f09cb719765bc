using ZertForwarder.Commands;

// ZertForwarder: reads SMF 119 zERT records (subtypes 11/12), normalizes them to ECS / LEEF / flat fields and
// publishes them. The host is thin: each verb lives in Commands/.
return await CommandLine.RunAsync(args);
