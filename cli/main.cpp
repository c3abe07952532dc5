#include <cstdio>
int main() { std::puts("quotaguard " QG_VERSION); return 0; }
