// tsrun command line entry (placeholder until the CLI lands).
process.stdout.write('tsrun version 0.1.0\n');
