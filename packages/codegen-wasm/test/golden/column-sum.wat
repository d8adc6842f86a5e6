(module
 (type $0 (func (param i32 i32 i32)))
 (type $1 (func (param i32 i32 i32 i32)))
 (import "kiln" "memory" (memory $memory 1 65536 shared))
 (export "entry" (func $entry))
 (func $fused_reduce_permuted_0 (param $0 i32) (param $1 i32) (param $2 i32)
  (local $3 i32)
  (local $4 i32)
  (local $5 i32)
  (local $6 i32)
  (local $7 v128)
  (local $8 v128)
  (local $9 i32)
  (local $10 i32)
  (local $11 v128)
  (local $12 f32)
  (local $13 i32)
  (local $14 v128)
  (local $15 f32)
  (local $16 f32)
  (local $17 f32)
  (local $18 f32)
  (local $19 v128)
  (block
   (local.set $3
    (i32.const 0)
   )
   (block $exit1
    (loop $next1
     (br_if $exit1
      (i32.ge_s
       (local.get $3)
       (i32.const 8)
      )
     )
     (local.set $4
      (i32.add
       (local.get $2)
       (i32.mul
        (local.get $3)
        (i32.const 16)
       )
      )
     )
     (local.set $5
      (i32.add
       (local.get $1)
       (i32.mul
        (local.get $3)
        (i32.const 4)
       )
      )
     )
     (block
      (local.set $6
       (i32.const 0)
      )
      (block $exit0
       (loop $next0
        (br_if $exit0
         (i32.ge_s
          (local.get $6)
          (i32.const 4)
         )
        )
        (local.set $7
         (v128.load32_splat
          (i32.add
           (local.get $5)
           (i32.mul
            (local.get $6)
            (i32.const 32)
           )
          )
         )
        )
        (local.set $8
         (f32x4.mul
          (local.get $7)
          (local.get $7)
         )
        )
        (v128.store32_lane 0
         (i32.add
          (local.get $4)
          (i32.mul
           (local.get $6)
           (i32.const 4)
          )
         )
         (local.get $8)
        )
        (local.set $6
         (i32.add
          (local.get $6)
          (i32.const 1)
         )
        )
        (br $next0)
       )
      )
     )
     (local.set $3
      (i32.add
       (local.get $3)
       (i32.const 1)
      )
     )
     (br $next1)
    )
   )
  )
  (block
   (local.set $9
    (i32.const 0)
   )
   (block $exit3
    (loop $next3
     (br_if $exit3
      (i32.ge_s
       (local.get $9)
       (i32.const 8)
      )
     )
     (local.set $10
      (i32.add
       (local.get $2)
       (i32.mul
        (local.get $9)
        (i32.const 16)
       )
      )
     )
     (local.set $11
      (f32x4.splat
       (f32.const 0)
      )
     )
     (local.set $12
      (f32.const 0)
     )
     (block
      (local.set $13
       (i32.const 0)
      )
      (block $exit2
       (loop $next2
        (br_if $exit2
         (i32.ge_s
          (local.get $13)
          (i32.const 4)
         )
        )
        (local.set $14
         (v128.load align=4
          (i32.add
           (local.get $10)
           (i32.mul
            (local.get $13)
            (i32.const 4)
           )
          )
         )
        )
        (local.set $11
         (f32x4.add
          (local.get $11)
          (local.get $14)
         )
        )
        (local.set $13
         (i32.add
          (local.get $13)
          (i32.const 4)
         )
        )
        (br $next2)
       )
      )
     )
     (local.set $15
      (f32.add
       (f32x4.extract_lane 0
        (local.get $11)
       )
       (f32x4.extract_lane 1
        (local.get $11)
       )
      )
     )
     (local.set $16
      (f32.add
       (f32x4.extract_lane 2
        (local.get $11)
       )
       (f32x4.extract_lane 3
        (local.get $11)
       )
      )
     )
     (local.set $17
      (f32.add
       (local.get $15)
       (local.get $16)
      )
     )
     (local.set $18
      (f32.add
       (local.get $17)
       (local.get $12)
      )
     )
     (local.set $19
      (f32x4.splat
       (local.get $18)
      )
     )
     (v128.store32_lane 0
      (i32.add
       (local.get $0)
       (i32.mul
        (local.get $9)
        (i32.const 4)
       )
      )
      (local.get $19)
     )
     (local.set $9
      (i32.add
       (local.get $9)
       (i32.const 1)
      )
     )
     (br $next3)
    )
   )
  )
 )
 (func $entry (param $0 i32) (param $1 i32) (param $2 i32) (param $3 i32)
  (call $fused_reduce_permuted_0
   (local.get $3)
   (local.get $2)
   (i32.add
    (local.get $0)
    (i32.const 32)
   )
  )
 )
)
