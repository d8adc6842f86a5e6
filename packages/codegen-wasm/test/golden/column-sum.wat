(module
 (type $0 (func (param i32 i32 i32)))
 (type $1 (func (param i32)))
 (import "kiln" "memory" (memory $memory 1 65536))
 (export "entry" (func $entry))
 (func $fused_reduce_permuted_0 (param $0 i32) (param $1 i32) (param $2 i32)
  (local $3 v128)
  (local $4 i32)
  (local $5 i32)
  (local $6 i32)
  (local $7 i32)
  (local $8 f32)
  (block
   (local.set $4
    (i32.const 0)
   )
   (loop $next1
    (block $exit1
     (block
      (br_if $exit1
       (i32.ge_s
        (local.get $4)
        (i32.const 8)
       )
      )
      (local.set $6
       (i32.add
        (i32.shl
         (local.get $4)
         (i32.const 4)
        )
        (local.get $2)
       )
      )
      (local.set $7
       (i32.add
        (i32.shl
         (local.get $4)
         (i32.const 2)
        )
        (local.get $1)
       )
      )
      (block
       (local.set $5
        (i32.const 0)
       )
       (loop $next0
        (block $exit0
         (block
          (br_if $exit0
           (i32.ge_s
            (local.get $5)
            (i32.const 4)
           )
          )
          (v128.store32_lane 0
           (i32.add
            (i32.shl
             (local.get $5)
             (i32.const 2)
            )
            (local.get $6)
           )
           (f32x4.mul
            (local.tee $3
             (v128.load32_splat
              (i32.add
               (i32.shl
                (local.get $5)
                (i32.const 5)
               )
               (local.get $7)
              )
             )
            )
            (local.get $3)
           )
          )
          (local.set $5
           (i32.add
            (local.get $5)
            (i32.const 1)
           )
          )
          (br $next0)
         )
        )
       )
      )
      (local.set $4
       (i32.add
        (local.get $4)
        (i32.const 1)
       )
      )
      (br $next1)
     )
    )
   )
  )
  (block
   (local.set $1
    (i32.const 0)
   )
   (loop $next3
    (block $exit3
     (block
      (br_if $exit3
       (i32.ge_s
        (local.get $1)
        (i32.const 8)
       )
      )
      (local.set $3
       (f32x4.splat
        (f32.const 0)
       )
      )
      (local.set $8
       (f32.const 0)
      )
      (block
       (local.set $4
        (i32.const 0)
       )
       (loop $next2
        (block $exit2
         (block
          (br_if $exit2
           (i32.ge_s
            (local.get $4)
            (i32.const 4)
           )
          )
          (local.set $3
           (f32x4.add
            (local.get $3)
            (v128.load align=4
             (i32.add
              (i32.add
               (i32.shl
                (local.get $1)
                (i32.const 4)
               )
               (local.get $2)
              )
              (i32.shl
               (local.get $4)
               (i32.const 2)
              )
             )
            )
           )
          )
          (local.set $4
           (i32.add
            (local.get $4)
            (i32.const 4)
           )
          )
          (br $next2)
         )
        )
       )
      )
      (v128.store32_lane 0
       (i32.add
        (i32.shl
         (local.get $1)
         (i32.const 2)
        )
        (local.get $0)
       )
       (f32x4.splat
        (f32.add
         (f32.add
          (f32.add
           (f32x4.extract_lane 0
            (local.get $3)
           )
           (f32x4.extract_lane 1
            (local.get $3)
           )
          )
          (f32.add
           (f32x4.extract_lane 2
            (local.get $3)
           )
           (f32x4.extract_lane 3
            (local.get $3)
           )
          )
         )
         (local.get $8)
        )
       )
      )
      (local.set $1
       (i32.add
        (local.get $1)
        (i32.const 1)
       )
      )
      (br $next3)
     )
    )
   )
  )
 )
 (func $entry (param $0 i32)
  (call $fused_reduce_permuted_0
   (i32.add
    (local.get $0)
    (i32.const 128)
   )
   (local.get $0)
   (i32.add
    (local.get $0)
    (i32.const 160)
   )
  )
 )
)
