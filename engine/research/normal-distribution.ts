/**
 * The standard normal distribution's cumulative distribution function Φ and its inverse Φ⁻¹, to
 * double precision, for the overfitting guards (deflated Sharpe ratio). No library in the project
 * provides them, so they are implemented here from published algorithms.
 */

const INV_SQRT_2PI = 0.3989422804014327; // 1/√(2π)

/**
 * Standard normal density φ(x) = e^(−x²/2)/√(2π).
 * @param x any real number; NaN gives NaN.
 */
export function normalDensity(x: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}

/**
 * Standard normal cumulative distribution Φ(x) = P(Z <= x), Z ~ N(0, 1).
 *
 * For |x| < 3: Marsaglia's series Φ(x) = 1/2 + φ(x)·(x + x³/3 + x⁵/(3·5) + …) (G. Marsaglia,
 * "Evaluating the Normal Distribution", Journal of Statistical Software 11(4), 2004), whose terms
 * are all of one sign, so no cancellation. For |x| >= 3: the upper tail from Laplace's continued
 * fraction Q(x) = φ(x)/(x + 1/(x + 2/(x + 3/(x + …)))), evaluated bottom-up over 120 levels, which
 * keeps relative precision far into the tail. Absolute error below 1e-15 everywhere.
 * @param x any real number; ±Infinity give 0 and 1; NaN gives NaN.
 */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x === Infinity) return 1;
  if (x === -Infinity) return 0;
  const absolute = Math.abs(x);
  if (absolute < 3) {
    let term = x;
    let sum = x;
    for (let k = 1; k < 200; k++) {
      term *= (x * x) / (2 * k + 1);
      const next = sum + term;
      if (next === sum) break;
      sum = next;
    }
    return 0.5 + normalDensity(x) * sum;
  }
  if (absolute > 40) return x > 0 ? 1 : 0;
  let fraction = absolute;
  for (let k = 120; k >= 1; k--) fraction = absolute + k / fraction;
  const upperTail = normalDensity(absolute) / fraction;
  return x > 0 ? 1 - upperTail : upperTail;
}

/**
 * Inverse standard normal distribution Φ⁻¹(p): the x with Φ(x) = p.
 *
 * Algorithm AS 241, PPND16 (M. J. Wichura, "The Percentage Points of the Normal Distribution",
 * Applied Statistics 37(3), 1988, 477–484): three rational approximations (central region
 * |p − 1/2| <= 0.425, intermediate tail, far tail), accurate to about 1 part in 10^16.
 * @param p a probability in [0, 1]; 0 gives −Infinity, 1 gives +Infinity.
 * @throws RangeError when `p` is outside [0, 1] or NaN.
 */
export function inverseNormalCdf(p: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`probability ${String(p)} is outside [0, 1]`);
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (
      (q *
        (((((((2509.0809287301226727 * r + 33430.575583588128105) * r + 67265.770927008700853) * r + 45921.953931549871457) * r +
          13731.693765509461125) *
          r +
          1971.5909503065514427) *
          r +
          133.14166789178437745) *
          r +
          3.387132872796366608)) /
      (((((((5226.495278852854561 * r + 28729.085735721942674) * r + 39307.89580009271061) * r + 21213.794301586595867) * r +
        5394.1960214247511077) *
        r +
        687.1870074920579083) *
        r +
        42.313330701600911252) *
        r +
        1)
    );
  }
  let r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p));
  let x: number;
  if (r <= 5) {
    r -= 1.6;
    x =
      (((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r + 0.24178072517745061177) * r + 1.27045825245236838258) * r +
        3.64784832476320460504) *
        r +
        5.7694972214606914055) *
        r +
        4.6303378461565452959) *
        r +
        1.42343711074968357734) /
      (((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r + 0.0151986665636164571966) * r + 0.14810397642748007459) * r +
        0.68976733498510000455) *
        r +
        1.6763848301838038494) *
        r +
        2.05319162663775882187) *
        r +
        1);
  } else {
    r -= 5;
    x =
      (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r + 0.026532189526576123093) * r +
        0.29656057182850489123) *
        r +
        1.7848265399172913358) *
        r +
        5.4637849111641143699) *
        r +
        6.6579046435011037772) /
      (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r + 7.868691311456132591e-4) * r +
        0.0148753612908506148525) *
        r +
        0.13692988092273580531) *
        r +
        0.59983220655588793769) *
        r +
        1);
  }
  return q < 0 ? -x : x;
}
