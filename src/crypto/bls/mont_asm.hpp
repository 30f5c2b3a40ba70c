#pragma once
/// BMI2/ADX Montgomery multiplication kernel for 6 limbs (Fp): CIOS with two independent carry chains
/// (mulx + adcx/adox), our own GCC inline assembly. Selected at compile time when the target has BMI2 and ADX
/// (the default -march=native build on this machine); otherwise the portable __int128 CIOS is used.
/// Constant time: no branches, the final conditional subtraction uses cmov.
#include <cstdint>

// AddressSanitizer and ThreadSanitizer reserve registers the kernel's operand constraints need: sanitizer builds use
// the portable kernel (same results; the tests compare both kernels anyway).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define PHX_BLS_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define PHX_BLS_SANITIZED 1
#endif
#endif

#if defined(__x86_64__) && defined(__BMI2__) && defined(__ADX__) && !defined(PHX_BLS_NO_ASM) && \
    !defined(PHX_BLS_SANITIZED)
#define PHX_BLS_HAVE_ADX 1

namespace phx::crypto::bls::detail {

/// out = a·b·2^-384 mod m for a, b < m (m < 2^382, inv = −m^{-1} mod 2^64). out may alias a or b.
inline void mont_mul_6_adx(std::uint64_t* out, const std::uint64_t* a, const std::uint64_t* b,
                           const std::uint64_t* m, std::uint64_t inv) {
  const std::uint64_t* ap = a;
  const std::uint64_t* bp = b;
  asm(
      "xorq %%r8, %%r8\n\t"
      "xorq %%r9, %%r9\n\t"
      "xorq %%r10, %%r10\n\t"
      "xorq %%r11, %%r11\n\t"
      "xorq %%r12, %%r12\n\t"
      "xorq %%r13, %%r13\n\t"
      "xorq %%r14, %%r14\n\t"
      "movq 0(%[b]), %%rdx\n\t"
      "xorl %%eax, %%eax\n\t"
      "mulxq 0(%[a]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r8\n\t"
      "adoxq %%rbx, %%r9\n\t"
      "mulxq 8(%[a]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r9\n\t"
      "adoxq %%rbx, %%r10\n\t"
      "mulxq 16(%[a]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r10\n\t"
      "adoxq %%rbx, %%r11\n\t"
      "mulxq 24(%[a]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r11\n\t"
      "adoxq %%rbx, %%r12\n\t"
      "mulxq 32(%[a]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r12\n\t"
      "adoxq %%rbx, %%r13\n\t"
      "mulxq 40(%[a]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r13\n\t"
      "adoxq %%rbx, %%r14\n\t"
      "adcxq %%rax, %%r14\n\t"
      "movq %%r8, %%rdx\n\t"
      "imulq %[inv], %%rdx\n\t"
      "xorl %%eax, %%eax\n\t"
      "mulxq 0(%[m]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r8\n\t"
      "adoxq %%rbx, %%r9\n\t"
      "mulxq 8(%[m]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r9\n\t"
      "adoxq %%rbx, %%r10\n\t"
      "mulxq 16(%[m]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r10\n\t"
      "adoxq %%rbx, %%r11\n\t"
      "mulxq 24(%[m]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r11\n\t"
      "adoxq %%rbx, %%r12\n\t"
      "mulxq 32(%[m]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r12\n\t"
      "adoxq %%rbx, %%r13\n\t"
      "mulxq 40(%[m]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r13\n\t"
      "adoxq %%rbx, %%r14\n\t"
      "adcxq %%rax, %%r14\n\t"
      "movq 8(%[b]), %%rdx\n\t"
      "xorl %%eax, %%eax\n\t"
      "mulxq 0(%[a]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r9\n\t"
      "adoxq %%rbx, %%r10\n\t"
      "mulxq 8(%[a]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r10\n\t"
      "adoxq %%rbx, %%r11\n\t"
      "mulxq 16(%[a]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r11\n\t"
      "adoxq %%rbx, %%r12\n\t"
      "mulxq 24(%[a]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r12\n\t"
      "adoxq %%rbx, %%r13\n\t"
      "mulxq 32(%[a]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r13\n\t"
      "adoxq %%rbx, %%r14\n\t"
      "mulxq 40(%[a]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r14\n\t"
      "adoxq %%rbx, %%r8\n\t"
      "adcxq %%rax, %%r8\n\t"
      "movq %%r9, %%rdx\n\t"
      "imulq %[inv], %%rdx\n\t"
      "xorl %%eax, %%eax\n\t"
      "mulxq 0(%[m]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r9\n\t"
      "adoxq %%rbx, %%r10\n\t"
      "mulxq 8(%[m]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r10\n\t"
      "adoxq %%rbx, %%r11\n\t"
      "mulxq 16(%[m]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r11\n\t"
      "adoxq %%rbx, %%r12\n\t"
      "mulxq 24(%[m]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r12\n\t"
      "adoxq %%rbx, %%r13\n\t"
      "mulxq 32(%[m]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r13\n\t"
      "adoxq %%rbx, %%r14\n\t"
      "mulxq 40(%[m]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r14\n\t"
      "adoxq %%rbx, %%r8\n\t"
      "adcxq %%rax, %%r8\n\t"
      "movq 16(%[b]), %%rdx\n\t"
      "xorl %%eax, %%eax\n\t"
      "mulxq 0(%[a]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r10\n\t"
      "adoxq %%rbx, %%r11\n\t"
      "mulxq 8(%[a]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r11\n\t"
      "adoxq %%rbx, %%r12\n\t"
      "mulxq 16(%[a]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r12\n\t"
      "adoxq %%rbx, %%r13\n\t"
      "mulxq 24(%[a]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r13\n\t"
      "adoxq %%rbx, %%r14\n\t"
      "mulxq 32(%[a]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r14\n\t"
      "adoxq %%rbx, %%r8\n\t"
      "mulxq 40(%[a]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r8\n\t"
      "adoxq %%rbx, %%r9\n\t"
      "adcxq %%rax, %%r9\n\t"
      "movq %%r10, %%rdx\n\t"
      "imulq %[inv], %%rdx\n\t"
      "xorl %%eax, %%eax\n\t"
      "mulxq 0(%[m]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r10\n\t"
      "adoxq %%rbx, %%r11\n\t"
      "mulxq 8(%[m]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r11\n\t"
      "adoxq %%rbx, %%r12\n\t"
      "mulxq 16(%[m]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r12\n\t"
      "adoxq %%rbx, %%r13\n\t"
      "mulxq 24(%[m]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r13\n\t"
      "adoxq %%rbx, %%r14\n\t"
      "mulxq 32(%[m]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r14\n\t"
      "adoxq %%rbx, %%r8\n\t"
      "mulxq 40(%[m]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r8\n\t"
      "adoxq %%rbx, %%r9\n\t"
      "adcxq %%rax, %%r9\n\t"
      "movq 24(%[b]), %%rdx\n\t"
      "xorl %%eax, %%eax\n\t"
      "mulxq 0(%[a]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r11\n\t"
      "adoxq %%rbx, %%r12\n\t"
      "mulxq 8(%[a]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r12\n\t"
      "adoxq %%rbx, %%r13\n\t"
      "mulxq 16(%[a]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r13\n\t"
      "adoxq %%rbx, %%r14\n\t"
      "mulxq 24(%[a]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r14\n\t"
      "adoxq %%rbx, %%r8\n\t"
      "mulxq 32(%[a]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r8\n\t"
      "adoxq %%rbx, %%r9\n\t"
      "mulxq 40(%[a]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r9\n\t"
      "adoxq %%rbx, %%r10\n\t"
      "adcxq %%rax, %%r10\n\t"
      "movq %%r11, %%rdx\n\t"
      "imulq %[inv], %%rdx\n\t"
      "xorl %%eax, %%eax\n\t"
      "mulxq 0(%[m]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r11\n\t"
      "adoxq %%rbx, %%r12\n\t"
      "mulxq 8(%[m]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r12\n\t"
      "adoxq %%rbx, %%r13\n\t"
      "mulxq 16(%[m]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r13\n\t"
      "adoxq %%rbx, %%r14\n\t"
      "mulxq 24(%[m]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r14\n\t"
      "adoxq %%rbx, %%r8\n\t"
      "mulxq 32(%[m]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r8\n\t"
      "adoxq %%rbx, %%r9\n\t"
      "mulxq 40(%[m]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r9\n\t"
      "adoxq %%rbx, %%r10\n\t"
      "adcxq %%rax, %%r10\n\t"
      "movq 32(%[b]), %%rdx\n\t"
      "xorl %%eax, %%eax\n\t"
      "mulxq 0(%[a]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r12\n\t"
      "adoxq %%rbx, %%r13\n\t"
      "mulxq 8(%[a]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r13\n\t"
      "adoxq %%rbx, %%r14\n\t"
      "mulxq 16(%[a]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r14\n\t"
      "adoxq %%rbx, %%r8\n\t"
      "mulxq 24(%[a]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r8\n\t"
      "adoxq %%rbx, %%r9\n\t"
      "mulxq 32(%[a]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r9\n\t"
      "adoxq %%rbx, %%r10\n\t"
      "mulxq 40(%[a]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r10\n\t"
      "adoxq %%rbx, %%r11\n\t"
      "adcxq %%rax, %%r11\n\t"
      "movq %%r12, %%rdx\n\t"
      "imulq %[inv], %%rdx\n\t"
      "xorl %%eax, %%eax\n\t"
      "mulxq 0(%[m]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r12\n\t"
      "adoxq %%rbx, %%r13\n\t"
      "mulxq 8(%[m]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r13\n\t"
      "adoxq %%rbx, %%r14\n\t"
      "mulxq 16(%[m]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r14\n\t"
      "adoxq %%rbx, %%r8\n\t"
      "mulxq 24(%[m]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r8\n\t"
      "adoxq %%rbx, %%r9\n\t"
      "mulxq 32(%[m]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r9\n\t"
      "adoxq %%rbx, %%r10\n\t"
      "mulxq 40(%[m]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r10\n\t"
      "adoxq %%rbx, %%r11\n\t"
      "adcxq %%rax, %%r11\n\t"
      "movq 40(%[b]), %%rdx\n\t"
      "xorl %%eax, %%eax\n\t"
      "mulxq 0(%[a]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r13\n\t"
      "adoxq %%rbx, %%r14\n\t"
      "mulxq 8(%[a]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r14\n\t"
      "adoxq %%rbx, %%r8\n\t"
      "mulxq 16(%[a]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r8\n\t"
      "adoxq %%rbx, %%r9\n\t"
      "mulxq 24(%[a]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r9\n\t"
      "adoxq %%rbx, %%r10\n\t"
      "mulxq 32(%[a]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r10\n\t"
      "adoxq %%rbx, %%r11\n\t"
      "mulxq 40(%[a]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r11\n\t"
      "adoxq %%rbx, %%r12\n\t"
      "adcxq %%rax, %%r12\n\t"
      "movq %%r13, %%rdx\n\t"
      "imulq %[inv], %%rdx\n\t"
      "xorl %%eax, %%eax\n\t"
      "mulxq 0(%[m]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r13\n\t"
      "adoxq %%rbx, %%r14\n\t"
      "mulxq 8(%[m]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r14\n\t"
      "adoxq %%rbx, %%r8\n\t"
      "mulxq 16(%[m]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r8\n\t"
      "adoxq %%rbx, %%r9\n\t"
      "mulxq 24(%[m]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r9\n\t"
      "adoxq %%rbx, %%r10\n\t"
      "mulxq 32(%[m]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r10\n\t"
      "adoxq %%rbx, %%r11\n\t"
      "mulxq 40(%[m]), %%r15, %%rbx\n\t"
      "adcxq %%r15, %%r11\n\t"
      "adoxq %%rbx, %%r12\n\t"
      "adcxq %%rax, %%r12\n\t"
      "movq %%r14, %%rax\n\t"
      "movq %%r8, %%rbx\n\t"
      "movq %%r9, %%r15\n\t"
      "movq %%r10, %%rdx\n\t"
      "movq %%r11, %%rsi\n\t"
      "movq %%r12, %%r13\n\t"
      "subq 0(%[m]), %%rax\n\t"
      "sbbq 8(%[m]), %%rbx\n\t"
      "sbbq 16(%[m]), %%r15\n\t"
      "sbbq 24(%[m]), %%rdx\n\t"
      "sbbq 32(%[m]), %%rsi\n\t"
      "sbbq 40(%[m]), %%r13\n\t"
      "cmovcq %%r14, %%rax\n\t"
      "cmovcq %%r8, %%rbx\n\t"
      "cmovcq %%r9, %%r15\n\t"
      "cmovcq %%r10, %%rdx\n\t"
      "cmovcq %%r11, %%rsi\n\t"
      "cmovcq %%r12, %%r13\n\t"
      "movq %[out], %%rdi\n\t"
      "movq %%rax, 0(%%rdi)\n\t"
      "movq %%rbx, 8(%%rdi)\n\t"
      "movq %%r15, 16(%%rdi)\n\t"
      "movq %%rdx, 24(%%rdi)\n\t"
      "movq %%rsi, 32(%%rdi)\n\t"
      "movq %%r13, 40(%%rdi)\n\t"

#if defined(__clang__)
      // clang cannot allocate address registers for the array operands below; a memory clobber instead.
      : [a] "+S"(ap), [b] "+D"(bp)
      : [m] "c"(m), [inv] "m"(inv), [out] "m"(out)
      : "rax", "rbx", "rdx", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "cc", "memory");
#else
      // Exact memory operands (rather than a "memory" clobber) let GCC keep other values in registers.
      : [a] "+S"(ap), [b] "+D"(bp), "=m"(*reinterpret_cast<std::uint64_t(*)[6]>(out))
      : [m] "c"(m), [inv] "m"(inv), [out] "m"(out), "m"(*reinterpret_cast<const std::uint64_t(*)[6]>(a)),
        "m"(*reinterpret_cast<const std::uint64_t(*)[6]>(b)), "m"(*reinterpret_cast<const std::uint64_t(*)[6]>(m))
      : "rax", "rbx", "rdx", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "cc");
#endif
}

#if defined(__OPTIMIZE__)
// Modular addition and subtraction for 6 limbs as single asm blocks (GCC's code for the intrinsics version spills):
// the sum/difference in six registers; for the modular forms m is subtracted (sum) or not (difference), and on a
// borrow m is added back through a second carry chain (adox, on OF) whose addends are selected with cmov on the
// borrow (CF). Ten registers, so GCC can always allocate them (an optimizing build is required). Constant time:
// carry chains and cmov only (cmov loads its memory operand unconditionally). out may alias a or b.
#define PHX_BLS_HAVE_ASM_ADDSUB 1

/// out = a + b mod m for a, b < m (m < 2^383).
inline void add_mod_6_asm(std::uint64_t* out, const std::uint64_t* a, const std::uint64_t* b, const std::uint64_t* m) {
  std::uint64_t t0 = a[0], t1 = a[1], t2 = a[2], t3 = a[3], t4 = a[4], t5 = a[5], z, u;
  asm("addq 0(%[b]), %[t0]\n\tadcq 8(%[b]), %[t1]\n\tadcq 16(%[b]), %[t2]\n\t"
      "adcq 24(%[b]), %[t3]\n\tadcq 32(%[b]), %[t4]\n\tadcq 40(%[b]), %[t5]\n\t"
      "subq 0(%[m]), %[t0]\n\tsbbq 8(%[m]), %[t1]\n\tsbbq 16(%[m]), %[t2]\n\t"
      "sbbq 24(%[m]), %[t3]\n\tsbbq 32(%[m]), %[t4]\n\tsbbq 40(%[m]), %[t5]\n\t"
      "sbbq %[z], %[z]\n\t"  // CF (the borrow) kept, OF cleared for the adox chain
      "movl $0, %k[u]\n\tcmovcq 0(%[m]), %[u]\n\tadoxq %[u], %[t0]\n\t"
      "movl $0, %k[u]\n\tcmovcq 8(%[m]), %[u]\n\tadoxq %[u], %[t1]\n\t"
      "movl $0, %k[u]\n\tcmovcq 16(%[m]), %[u]\n\tadoxq %[u], %[t2]\n\t"
      "movl $0, %k[u]\n\tcmovcq 24(%[m]), %[u]\n\tadoxq %[u], %[t3]\n\t"
      "movl $0, %k[u]\n\tcmovcq 32(%[m]), %[u]\n\tadoxq %[u], %[t4]\n\t"
      "movl $0, %k[u]\n\tcmovcq 40(%[m]), %[u]\n\tadoxq %[u], %[t5]"
      : [t0] "+&r"(t0), [t1] "+&r"(t1), [t2] "+&r"(t2), [t3] "+&r"(t3), [t4] "+&r"(t4), [t5] "+&r"(t5), [z] "=&r"(z), [u] "=&r"(u)
      : [b] "r"(b), "m"(*reinterpret_cast<const std::uint64_t(*)[6]>(b)), [m] "r"(m), "m"(*reinterpret_cast<const std::uint64_t(*)[6]>(m))
      : "cc");
  out[0] = t0;
  out[1] = t1;
  out[2] = t2;
  out[3] = t3;
  out[4] = t4;
  out[5] = t5;
}

/// out = a − b mod m for a, b < m.
inline void sub_mod_6_asm(std::uint64_t* out, const std::uint64_t* a, const std::uint64_t* b, const std::uint64_t* m) {
  std::uint64_t t0 = a[0], t1 = a[1], t2 = a[2], t3 = a[3], t4 = a[4], t5 = a[5], z, u;
  asm("subq 0(%[b]), %[t0]\n\tsbbq 8(%[b]), %[t1]\n\tsbbq 16(%[b]), %[t2]\n\t"
      "sbbq 24(%[b]), %[t3]\n\tsbbq 32(%[b]), %[t4]\n\tsbbq 40(%[b]), %[t5]\n\t"
      "sbbq %[z], %[z]\n\t"  // CF (the borrow) kept, OF cleared for the adox chain
      "movl $0, %k[u]\n\tcmovcq 0(%[m]), %[u]\n\tadoxq %[u], %[t0]\n\t"
      "movl $0, %k[u]\n\tcmovcq 8(%[m]), %[u]\n\tadoxq %[u], %[t1]\n\t"
      "movl $0, %k[u]\n\tcmovcq 16(%[m]), %[u]\n\tadoxq %[u], %[t2]\n\t"
      "movl $0, %k[u]\n\tcmovcq 24(%[m]), %[u]\n\tadoxq %[u], %[t3]\n\t"
      "movl $0, %k[u]\n\tcmovcq 32(%[m]), %[u]\n\tadoxq %[u], %[t4]\n\t"
      "movl $0, %k[u]\n\tcmovcq 40(%[m]), %[u]\n\tadoxq %[u], %[t5]"
      : [t0] "+&r"(t0), [t1] "+&r"(t1), [t2] "+&r"(t2), [t3] "+&r"(t3), [t4] "+&r"(t4), [t5] "+&r"(t5), [z] "=&r"(z), [u] "=&r"(u)
      : [b] "r"(b), "m"(*reinterpret_cast<const std::uint64_t(*)[6]>(b)), [m] "r"(m), "m"(*reinterpret_cast<const std::uint64_t(*)[6]>(m))
      : "cc");
  out[0] = t0;
  out[1] = t1;
  out[2] = t2;
  out[3] = t3;
  out[4] = t4;
  out[5] = t5;
}

/// out = a + b over 6 limbs; returns the carry out (0 or 1).
inline std::uint64_t add_6_carry_asm(std::uint64_t* out, const std::uint64_t* a, const std::uint64_t* b) {
  std::uint64_t t0 = a[0], t1 = a[1], t2 = a[2], t3 = a[3], t4 = a[4], t5 = a[5], z;
  asm("addq 0(%[b]), %[t0]\n\tadcq 8(%[b]), %[t1]\n\tadcq 16(%[b]), %[t2]\n\t"
      "adcq 24(%[b]), %[t3]\n\tadcq 32(%[b]), %[t4]\n\tadcq 40(%[b]), %[t5]\n\t"
      "movl $0, %k[z]\n\tadcq $0, %[z]"
      : [t0] "+&r"(t0), [t1] "+&r"(t1), [t2] "+&r"(t2), [t3] "+&r"(t3), [t4] "+&r"(t4), [t5] "+&r"(t5), [z] "=&r"(z)
      : [b] "r"(b), "m"(*reinterpret_cast<const std::uint64_t(*)[6]>(b))
      : "cc");
  out[0] = t0;
  out[1] = t1;
  out[2] = t2;
  out[3] = t3;
  out[4] = t4;
  out[5] = t5;
  return z;
}

/// out = a − b over 6 limbs; returns the borrow out (0 or 1).
inline std::uint64_t sub_6_borrow_asm(std::uint64_t* out, const std::uint64_t* a, const std::uint64_t* b) {
  std::uint64_t t0 = a[0], t1 = a[1], t2 = a[2], t3 = a[3], t4 = a[4], t5 = a[5], z;
  asm("subq 0(%[b]), %[t0]\n\tsbbq 8(%[b]), %[t1]\n\tsbbq 16(%[b]), %[t2]\n\t"
      "sbbq 24(%[b]), %[t3]\n\tsbbq 32(%[b]), %[t4]\n\tsbbq 40(%[b]), %[t5]\n\t"
      "movl $0, %k[z]\n\tadcq $0, %[z]"
      : [t0] "+&r"(t0), [t1] "+&r"(t1), [t2] "+&r"(t2), [t3] "+&r"(t3), [t4] "+&r"(t4), [t5] "+&r"(t5), [z] "=&r"(z)
      : [b] "r"(b), "m"(*reinterpret_cast<const std::uint64_t(*)[6]>(b))
      : "cc");
  out[0] = t0;
  out[1] = t1;
  out[2] = t2;
  out[3] = t3;
  out[4] = t4;
  out[5] = t5;
  return z;
}

/// The high half of a 768-bit sum modulo m·2^384: out = (a + b + cin) mod m for a + b + cin < 2m.
inline void add_mod_6_cin_asm(std::uint64_t* out, const std::uint64_t* a, const std::uint64_t* b, const std::uint64_t* m, std::uint64_t cin) {
  std::uint64_t t0 = a[0], t1 = a[1], t2 = a[2], t3 = a[3], t4 = a[4], t5 = a[5], z, u;
  asm("btq $0, %[c]\n\t"
      "adcq 0(%[b]), %[t0]\n\tadcq 8(%[b]), %[t1]\n\tadcq 16(%[b]), %[t2]\n\t"
      "adcq 24(%[b]), %[t3]\n\tadcq 32(%[b]), %[t4]\n\tadcq 40(%[b]), %[t5]\n\t"
      "subq 0(%[m]), %[t0]\n\tsbbq 8(%[m]), %[t1]\n\tsbbq 16(%[m]), %[t2]\n\t"
      "sbbq 24(%[m]), %[t3]\n\tsbbq 32(%[m]), %[t4]\n\tsbbq 40(%[m]), %[t5]\n\t"
      "sbbq %[z], %[z]\n\t"  // CF (the borrow) kept, OF cleared for the adox chain
      "movl $0, %k[u]\n\tcmovcq 0(%[m]), %[u]\n\tadoxq %[u], %[t0]\n\t"
      "movl $0, %k[u]\n\tcmovcq 8(%[m]), %[u]\n\tadoxq %[u], %[t1]\n\t"
      "movl $0, %k[u]\n\tcmovcq 16(%[m]), %[u]\n\tadoxq %[u], %[t2]\n\t"
      "movl $0, %k[u]\n\tcmovcq 24(%[m]), %[u]\n\tadoxq %[u], %[t3]\n\t"
      "movl $0, %k[u]\n\tcmovcq 32(%[m]), %[u]\n\tadoxq %[u], %[t4]\n\t"
      "movl $0, %k[u]\n\tcmovcq 40(%[m]), %[u]\n\tadoxq %[u], %[t5]"
      : [t0] "+&r"(t0), [t1] "+&r"(t1), [t2] "+&r"(t2), [t3] "+&r"(t3), [t4] "+&r"(t4), [t5] "+&r"(t5), [z] "=&r"(z), [u] "=&r"(u)
      : [b] "r"(b), "m"(*reinterpret_cast<const std::uint64_t(*)[6]>(b)), [m] "r"(m), "m"(*reinterpret_cast<const std::uint64_t(*)[6]>(m)), [c] "r"(cin)
      : "cc");
  out[0] = t0;
  out[1] = t1;
  out[2] = t2;
  out[3] = t3;
  out[4] = t4;
  out[5] = t5;
}

/// The high half of a 768-bit difference modulo m·2^384: t = a − b − bin (mod 2^384), plus m if that borrowed.
inline void sub_mod_6_bin_asm(std::uint64_t* out, const std::uint64_t* a, const std::uint64_t* b, const std::uint64_t* m, std::uint64_t cin) {
  std::uint64_t t0 = a[0], t1 = a[1], t2 = a[2], t3 = a[3], t4 = a[4], t5 = a[5], z, u;
  asm("btq $0, %[c]\n\t"
      "sbbq 0(%[b]), %[t0]\n\tsbbq 8(%[b]), %[t1]\n\tsbbq 16(%[b]), %[t2]\n\t"
      "sbbq 24(%[b]), %[t3]\n\tsbbq 32(%[b]), %[t4]\n\tsbbq 40(%[b]), %[t5]\n\t"
      "sbbq %[z], %[z]\n\t"  // CF (the borrow) kept, OF cleared for the adox chain
      "movl $0, %k[u]\n\tcmovcq 0(%[m]), %[u]\n\tadoxq %[u], %[t0]\n\t"
      "movl $0, %k[u]\n\tcmovcq 8(%[m]), %[u]\n\tadoxq %[u], %[t1]\n\t"
      "movl $0, %k[u]\n\tcmovcq 16(%[m]), %[u]\n\tadoxq %[u], %[t2]\n\t"
      "movl $0, %k[u]\n\tcmovcq 24(%[m]), %[u]\n\tadoxq %[u], %[t3]\n\t"
      "movl $0, %k[u]\n\tcmovcq 32(%[m]), %[u]\n\tadoxq %[u], %[t4]\n\t"
      "movl $0, %k[u]\n\tcmovcq 40(%[m]), %[u]\n\tadoxq %[u], %[t5]"
      : [t0] "+&r"(t0), [t1] "+&r"(t1), [t2] "+&r"(t2), [t3] "+&r"(t3), [t4] "+&r"(t4), [t5] "+&r"(t5), [z] "=&r"(z), [u] "=&r"(u)
      : [b] "r"(b), "m"(*reinterpret_cast<const std::uint64_t(*)[6]>(b)), [m] "r"(m), "m"(*reinterpret_cast<const std::uint64_t(*)[6]>(m)), [c] "r"(cin)
      : "cc");
  out[0] = t0;
  out[1] = t1;
  out[2] = t2;
  out[3] = t3;
  out[4] = t4;
  out[5] = t5;
}

/// out = a − b − bin over 6 limbs (the high half of a 768-bit difference; the borrow out is dropped).
inline void sub_6_bin_asm(std::uint64_t* out, const std::uint64_t* a, const std::uint64_t* b, std::uint64_t cin) {
  std::uint64_t t0 = a[0], t1 = a[1], t2 = a[2], t3 = a[3], t4 = a[4], t5 = a[5];
  asm("btq $0, %[c]\n\t"
      "sbbq 0(%[b]), %[t0]\n\tsbbq 8(%[b]), %[t1]\n\tsbbq 16(%[b]), %[t2]\n\t"
      "sbbq 24(%[b]), %[t3]\n\tsbbq 32(%[b]), %[t4]\n\tsbbq 40(%[b]), %[t5]"
      : [t0] "+&r"(t0), [t1] "+&r"(t1), [t2] "+&r"(t2), [t3] "+&r"(t3), [t4] "+&r"(t4), [t5] "+&r"(t5)
      : [b] "r"(b), "m"(*reinterpret_cast<const std::uint64_t(*)[6]>(b)), [c] "r"(cin)
      : "cc");
  out[0] = t0;
  out[1] = t1;
  out[2] = t2;
  out[3] = t3;
  out[4] = t4;
  out[5] = t5;
}
#else
#define PHX_BLS_HAVE_ASM_ADDSUB 0
#endif

}  // namespace phx::crypto::bls::detail

#else
#define PHX_BLS_HAVE_ADX 0
#define PHX_BLS_HAVE_ASM_ADDSUB 0
#endif
